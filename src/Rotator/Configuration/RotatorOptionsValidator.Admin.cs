using System.Text.RegularExpressions;
using Rotator.Admin;

namespace Rotator.Configuration;

/// <summary>The admin API's part of the configuration: where it listens, its named keys and their secrets.</summary>
internal sealed partial class RotatorOptionsValidator
{
    /// <summary>A seed shorter than this is too easy to guess for a key that can rotate every other key.</summary>
    public const int MinimumSeedLength = 20;

    /// <summary>The keys configured under <c>Rotator:Keys</c>: the admin keys' own managed keys are checked as admin keys, here.</summary>
    private static List<ManagedKeyOptions?> ConfiguredKeys(RotatorOptions options) =>
        [.. (options.Keys ?? []).Where(k => k is null || !AdminKeys.IsDerived(k))];

    private static void CheckAdmin(RotatorOptions options, List<string> failures)
    {
        var admin = options.Admin;
        if (admin is null || string.IsNullOrWhiteSpace(admin.Urls)
            || admin.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Any(u => !Uri.TryCreate(u.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            failures.Add($"Rotator:Admin:Urls: \"{admin?.Urls}\" is not a list of http(s) URLs to listen on; write for example \"http://0.0.0.0:8080\".");
        }

        if (admin is null)
        {
            return;
        }

        Positive("Admin.RefreshInterval", admin.RefreshInterval, "00:00:10", failures);
        CheckRollout("Admin", admin.Rollout, failures);
        CheckAdminKeys(admin.Keys ?? [], ConfiguredKeys(options), failures);
    }

    private static void CheckAdminKeys(IReadOnlyList<AdminKeyOptions?> keys, IReadOnlyList<ManagedKeyOptions?> managed, List<string> failures)
    {
        var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var managedNames = managed.Where(k => !string.IsNullOrWhiteSpace(k?.Name)).Select(k => k!.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var taken = TakenSecrets(managed);
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            var at = string.IsNullOrWhiteSpace(key?.Name) ? $"Admin.Keys[{i}]" : $"Admin.Keys[{key.Name}]";
            if (key is null)
            {
                failures.Add($"{at}: empty entry; remove it or describe an admin key (Name, Role, Secret).");
                continue;
            }

            if (string.IsNullOrWhiteSpace(key.Name))
            {
                failures.Add($"{at}.Name: missing; name the admin key (1 to 63 letters, digits, '-' or '_', e.g. \"ops-team\"): it is recorded as the actor of every action taken with it.");
            }
            else if (!AdminKeyName().IsMatch(key.Name))
            {
                failures.Add($"{at}.Name: \"{key.Name}\" must be 1 to 63 letters, digits, '-' or '_'; rename it, e.g. \"ops-team\".");
            }
            else if (names.TryGetValue(key.Name, out var first))
            {
                failures.Add($"{at}.Name: \"{key.Name}\" (Admin.Keys[{i}]) is already the name of Admin.Keys[{first}] (names are compared case-insensitively); give every admin key a unique name.");
            }
            else
            {
                names.Add(key.Name, i);
                if (managedNames.Contains(AdminKeys.ManagedName(key.Name)))
                {
                    failures.Add($"{at}.Name: the admin key rotates as the managed key \"{AdminKeys.ManagedName(key.Name)}\", which is already a key under Rotator:Keys; rename one of them.");
                }
            }

            if (!Enum.IsDefined(key.Role))
            {
                failures.Add($"{at}.Role: \"{key.Role}\" is not a role; use {string.Join(" or ", Enum.GetNames<AdminRole>())}.");
            }

            CheckAdminSecret(at, key.Secret, taken, failures);
            if (key.Seed is { } seed && seed.Length < MinimumSeedLength)
            {
                // The seed's value is never quoted: it is a key.
                failures.Add($"{at}.Seed: {seed.Length} characters is too short for an admin key; use at least {MinimumSeedLength} random characters (e.g. openssl rand -base64 32), or leave Seed out and read the first key from the vault.");
            }

            CheckSchedule(at, key.Schedule, failures);
        }
    }

    private static void CheckAdminSecret(string at, string? secret, Dictionary<string, string> taken, List<string> failures)
    {
        at += ".Secret";
        if (string.IsNullOrWhiteSpace(secret))
        {
            failures.Add($"{at}: missing; set the vault secret that holds the admin key's current value, e.g. \"rotator-admin-ops\".");
            return;
        }

        if (!SecretNames.IsValid(secret) || secret.Length > SecretNames.MaxManagedLength)
        {
            failures.Add($"{at}: \"{secret}\" is not a valid managed secret name; use 1 to {SecretNames.MaxManagedLength} letters, digits and '-'.");
            return;
        }

        string[] uses = [secret, SecretNames.Control(secret), SecretNames.Accepted(secret)];
        var clash = uses.FirstOrDefault(taken.ContainsKey);
        if (clash is not null)
        {
            failures.Add($"{at}: \"{secret}\" clashes with {taken[clash]}: \"{clash}\" would be the same vault secret (names are case-insensitive, and {ControlOrAccepted}); choose a secret name of its own.");
        }

        foreach (var use in uses)
        {
            taken.TryAdd(use, $"an admin key's secret \"{secret}\"");
        }
    }

    /// <summary>Every vault secret the managed keys use, with what uses it.</summary>
    private static Dictionary<string, string> TakenSecrets(IReadOnlyList<ManagedKeyOptions?> managed)
    {
        var taken = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in managed)
        {
            if (key is null)
            {
                continue;
            }

            if (SecretNames.IsValid(key.Secret))
            {
                var owner = $"Keys[{key.Name}].Secret \"{key.Secret}\"";
                taken.TryAdd(key.Secret, owner);
                taken.TryAdd(SecretNames.Control(key.Secret), owner);
                taken.TryAdd(SecretNames.Accepted(key.Secret), owner);
            }

            if (SecretNames.IsValid(key.Issuer?.Http?.CredentialSecret))
            {
                taken.TryAdd(key.Issuer!.Http!.CredentialSecret, $"Keys[{key.Name}].Issuer.Http.CredentialSecret");
            }
        }

        return taken;
    }

    [GeneratedRegex(@"^[0-9A-Za-z_-]{1,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex AdminKeyName();
}
