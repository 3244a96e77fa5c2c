using System.Globalization;
using Microsoft.Extensions.Options;
using Rotator.Client;
using Rotator.Configuration;
using Rotator.Rotation;
using Rotator.Scheduling;
using Rotator.Vault;

namespace Rotator.Admin;

/// <summary>
/// At start-up, before the first rotation runs: an admin secret with no version and a configured seed gets the seed
/// as its first version, accepted first and then stored, with a record that counts it as completed now, so that it
/// rotates away on its schedule like any key.
/// </summary>
internal sealed partial class AdminSeeder(IVault vault, IOptionsMonitor<RotatorOptions> options, TimeProvider time, ILogger<AdminSeeder> logger) : IHostedService
{
    public const string Actor = "seed";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var current = options.CurrentValue;
        foreach (var admin in current.Admin.Keys.Where(a => !string.IsNullOrEmpty(a.Seed)))
        {
            if (current.Keys.FirstOrDefault(k => k.Name == AdminKeys.ManagedName(admin.Name)) is not { } key)
            {
                continue;
            }

            try
            {
                await SeedAsync(admin, key, cancellationToken);
            }
            catch (VaultException e)
            {
                // The rotation of the key reports the vault's state on its own; a seed that could not be stored is not used.
                LogSeedFailed(logger, admin.Name, admin.Secret, e.Failure.ToString());
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task SeedAsync(AdminKeyOptions admin, ManagedKeyOptions key, CancellationToken cancellationToken)
    {
        var seed = admin.Seed!;
        if ((await vault.ListVersionsAsync(admin.Secret, cancellationToken)).Count > 0)
        {
            return;
        }

        var control = SecretNames.Control(admin.Secret);
        if (await vault.GetAsync(control, null, cancellationToken) is { } record && ControlRecord.FromTags(record.Tags).Phase is var phase and not (Phase.Idle or Phase.Completed))
        {
            // A first key of the rotation's own is on its way: the seed would race it.
            LogSeedSkipped(logger, admin.Name, admin.Secret, phase);
            return;
        }

        var now = time.GetUtcNow();
        var expires = Schedules.Expiry(key, now);
        var fingerprint = Fingerprint.Of(seed);

        // The verifier side first: the worker accepts the seed before anyone can read it from the vault.
        var acceptedName = SecretNames.Accepted(admin.Secret);
        var existing = await vault.GetAsync(acceptedName, null, cancellationToken);
        var accepted = existing?.Value is { } json ? AcceptedKeys.Parse(json) : AcceptedKeys.Empty;
        await vault.SetAsync(acceptedName, accepted.With(AcceptedKeys.Entry(seed, AdminKeys.SeedRotation)).ToJson(), new Dictionary<string, string>(), expires, cancellationToken);

        var tags = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [VersionTags.Fingerprint] = fingerprint,
            [VersionTags.Rotation] = AdminKeys.SeedRotation,
            [VersionTags.Sequence] = "1",
        };
        var stored = await vault.SetAsync(admin.Secret, seed, tags, expires, cancellationToken);

        var completed = new ControlRecord
        {
            Phase = Phase.Completed,
            RotationId = AdminKeys.SeedRotation,
            Trigger = RotationTrigger.Bootstrap,
            Actor = Actor,
            PhaseSince = now,
            LastCompleted = now,
            NewKey = new KeyRef(fingerprint, fingerprint),
            Note = "first key seeded from configuration",
        };
        await vault.SetAsync(control, RotationExecutor.EmptyControlValue, completed.ToTags(), null, cancellationToken);
        LogSeeded(logger, admin.Name, admin.Secret, fingerprint, stored.Version, string.Create(CultureInfo.InvariantCulture, $"{Schedules.NextDue(key.Schedule, now, now):O}"));
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Information, Message = "Admin key {AdminKey}: seeded '{Secret}' with its first key {Fingerprint} (version {Version}); it rotates next at {NextDue}")]
    private static partial void LogSeeded(ILogger logger, string adminKey, string secret, string fingerprint, string version, string nextDue);

    [LoggerMessage(EventId = 711, Level = LogLevel.Warning, Message = "Admin key {AdminKey}: '{Secret}' has no version but its rotation is {Phase}; the seed is not used, read the key from the vault once the rotation completes")]
    private static partial void LogSeedSkipped(ILogger logger, string adminKey, string secret, Phase phase);

    [LoggerMessage(EventId = 712, Level = LogLevel.Error, Message = "Admin key {AdminKey}: the seed could not be stored in '{Secret}' ({Failure}); the key's first rotation makes one instead, read it from the vault")]
    private static partial void LogSeedFailed(ILogger logger, string adminKey, string secret, string failure);
}
