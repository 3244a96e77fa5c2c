using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Rotator.Configuration;

namespace Rotator.Admin;

/// <summary>
/// The admin API's keys as managed keys: each named admin key rotates like any generated key, with this worker as its
/// verifier (it accepts what its cache of <c>-accepted</c> holds) and the vault as what its callers read.
/// </summary>
internal static class AdminKeys
{
    public const string NamePrefix = "admin-";

    /// <summary>
    /// The host of the in-process probes. <c>.invalid</c> never resolves (RFC 6761), so a probe that reached the HTTP
    /// prober by mistake would count as "not switched", never as evidence.
    /// </summary>
    public const string SelfHost = "rotator-admin.invalid";

    public const string CallersPath = "callers";

    public const string VerifierPath = "verifier";

    /// <summary>The rotation id recorded for a seeded first version.</summary>
    public const string SeedRotation = "seed";

    private static readonly ConditionalWeakTable<ManagedKeyOptions, AdminKeyOptions> Derived = [];

    public static string ManagedName(string adminName) => NamePrefix + adminName;

    /// <summary>
    /// Was this managed key derived from an admin key (rather than configured under <c>Rotator:Keys</c>)? Copies of the
    /// options (a configuration reload copies them) are recognised by their probes, which only this worker answers.
    /// </summary>
    public static bool IsDerived(ManagedKeyOptions key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Derived.TryGetValue(key, out _)
            || (key.Verifiers is { Count: > 0 } verifiers && key.Consumers is { } consumers
                && verifiers.Concat(consumers).All(p => p is not null && ParseSelf(p) is not null));
    }

    public static AdminKeyOptions? AdminOf(ManagedKeyOptions key) => Derived.TryGetValue(key, out var admin) ? admin : null;

    /// <summary>The managed key that rotates one admin key.</summary>
    public static ManagedKeyOptions Derive(AdminKeyOptions admin, AdminOptions options)
    {
        var key = new ManagedKeyOptions
        {
            Name = ManagedName(admin.Name),
            Secret = admin.Secret,
            Bootstrap = true,
            Schedule = admin.Schedule,
            Rollout = options.Rollout,
            Issuer = new IssuerOptions { Type = nameof(IssuerType.Generated) },

            // People and the CLI read the vault each time they call, so "every caller has switched" means "the vault
            // serves the new key": the callers' probe reports the managed secret's latest version, and the gate opens
            // once it has shown the new key for Rollout.StableFor.
            Consumers = [SelfProbe(admin.Name, CallersPath)],
            Verifiers = [SelfProbe(admin.Name, VerifierPath)],
        };
        Derived.AddOrUpdate(key, admin);
        return key;
    }

    /// <summary>The admin key's name and what it reports, when <paramref name="probe"/> is one of this worker's own.</summary>
    public static (string AdminName, string What)? ParseSelf(ProbeOptions probe)
    {
        if (probe.Url is not { IsAbsoluteUri: true } url || !string.Equals(url.Host, SelfHost, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var parts = url.AbsolutePath.Trim('/').Split('/');
        return parts.Length == 2 ? (Uri.UnescapeDataString(parts[0]), parts[1]) : null;
    }

    private static ProbeOptions SelfProbe(string adminName, string what) =>
        new() { Url = new Uri($"http://{SelfHost}/{Uri.EscapeDataString(adminName)}/{what}") };
}

/// <summary>Appends the managed key of every admin key to <see cref="RotatorOptions.Keys"/>, so the scheduler rotates them.</summary>
internal sealed class AdminKeyDerivation : IPostConfigureOptions<RotatorOptions>
{
    public void PostConfigure(string? name, RotatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Keys ??= [];
        if (options.Keys.Any(k => k is not null && AdminKeys.IsDerived(k)))
        {
            return;
        }

        foreach (var admin in options.Admin?.Keys ?? [])
        {
            if (admin is not null && !string.IsNullOrWhiteSpace(admin.Name))
            {
                options.Keys.Add(AdminKeys.Derive(admin, options.Admin!));
            }
        }
    }
}
