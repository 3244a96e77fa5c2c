using System.Text.Json;
using Rotator.Configuration;
using Rotator.Rotation;

namespace Rotator.Scheduling;

/// <summary>What a configuration change does to one managed key.</summary>
internal enum KeyChange
{
    /// <summary>A new key: registered with the scheduler.</summary>
    Added,

    /// <summary>The key left the configuration: its job and triggers are deleted.</summary>
    Removed,

    /// <summary>Its secret, issuer type or issuer account changed: it is registered afresh under the new definition.</summary>
    Redefined,

    /// <summary>Its schedule changed: its triggers are replaced.</summary>
    Rescheduled,

    /// <summary>Anything else changed (rollout, consumers, …): read from the options at the next run.</summary>
    Updated,
}

/// <param name="Waits">Why the change waits until the key is at rest, when it does; null when it applies now.</param>
internal sealed record PlannedChange(string Key, KeyChange Change, string? Waits = null)
{
    public bool Deferred => Waits is not null;
}

/// <summary>The outcome of comparing the options in force with a newly read configuration.</summary>
/// <param name="Effective">The options to put in force: the new ones, except where a change waits (the old key definition stays) or needs a restart (the old setting stays).</param>
/// <param name="RestartNeeded">Settings that changed but only take effect after a restart.</param>
internal sealed record ReloadPlan(RotatorOptions Effective, IReadOnlyList<PlannedChange> Changes, IReadOnlyList<string> RestartNeeded)
{
    public IEnumerable<PlannedChange> Applied => Changes.Where(c => !c.Deferred);

    public IEnumerable<PlannedChange> Deferred => Changes.Where(c => c.Deferred);
}

/// <summary>
/// Decides, as a pure function, what a valid configuration change does: apply each key's change now, or let it wait
/// (an invalid one never gets here: the reloader rejects it). Removing a key, or changing its secret, issuer type or account, waits while the key is not at
/// rest (Idle or Completed), so that a rotation in flight finishes under the definition it started with.
/// </summary>
internal static class ReloadPlanner
{
    private static readonly JsonSerializerOptions Json = new();

    /// <summary>The keys whose phase <see cref="Plan"/> needs: those removed or redefined.</summary>
    public static IReadOnlyList<string> PhasesNeeded(RotatorOptions current, RotatorOptions desired)
    {
        var wanted = desired.Keys.ToDictionary(k => k.Name, StringComparer.Ordinal);
        return [.. current.Keys
            .Where(k => !wanted.TryGetValue(k.Name, out var next) || IdentityChanged(k, next))
            .Select(k => k.Name)
            .Order(StringComparer.Ordinal)];
    }

    /// <param name="current">The options in force.</param>
    /// <param name="desired">The newly read options; not changed (the result is built in a copy).</param>
    /// <param name="phases">The phase of each key in <see cref="PhasesNeeded"/>; a key missing here counts as not at rest.</param>
    public static ReloadPlan Plan(RotatorOptions current, RotatorOptions desired, IReadOnlyDictionary<string, Phase> phases)
    {
        var old = current.Keys.ToDictionary(k => k.Name, StringComparer.Ordinal);
        var wanted = desired.Keys.ToDictionary(k => k.Name, StringComparer.Ordinal);
        var changes = new Dictionary<string, PlannedChange>(StringComparer.Ordinal);

        string? Busy(string key) => phases.TryGetValue(key, out var phase)
            ? phase.IsAtRest() ? null : $"it is {phase}; the change applies once the key is Idle or Completed"
            : "its phase could not be read; the change applies once the key is seen at rest";

        foreach (var key in current.Keys)
        {
            if (!wanted.TryGetValue(key.Name, out var next))
            {
                changes[key.Name] = new PlannedChange(key.Name, KeyChange.Removed, Busy(key.Name));
            }
            else if (IdentityChanged(key, next))
            {
                changes[key.Name] = new PlannedChange(key.Name, KeyChange.Redefined, Busy(key.Name));
            }
            else if (!SameJson(key.Schedule, next.Schedule))
            {
                changes[key.Name] = new PlannedChange(key.Name, KeyChange.Rescheduled);
            }
            else if (!SameJson(key, next))
            {
                changes[key.Name] = new PlannedChange(key.Name, KeyChange.Updated);
            }
        }

        foreach (var key in desired.Keys.Where(k => !old.ContainsKey(k.Name)))
        {
            changes[key.Name] = new PlannedChange(key.Name, KeyChange.Added);
        }

        // A key that takes a secret still used by a waiting key's old definition waits for it: never two keys on one secret.
        bool moved;
        do
        {
            moved = false;
            var held = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var waiting in changes.Values.Where(c => c.Deferred && old.ContainsKey(c.Key)))
            {
                held.TryAdd(old[waiting.Key].Secret, waiting.Key);
            }

            foreach (var change in changes.Values.Where(c => !c.Deferred && c.Change is KeyChange.Added or KeyChange.Redefined).ToList())
            {
                if (held.TryGetValue(wanted[change.Key].Secret, out var holder) && holder != change.Key)
                {
                    changes[change.Key] = change with { Waits = $"its secret is still used by key {holder}, whose change waits" };
                    moved = true;
                }
            }
        }
        while (moved);

        var effective = Copy(desired);
        effective.Keys = [.. Merge(current, desired, changes)];
        var restart = new List<string>();
        if (!SameJson(current.Vault, desired.Vault))
        {
            restart.Add("Rotator:Vault");
            effective.Vault = current.Vault;
        }

        if (current.Admin.Urls != desired.Admin.Urls)
        {
            restart.Add("Rotator:Admin:Urls");
            effective.Admin.Urls = current.Admin.Urls;
        }

        if (current.WorkerId != desired.WorkerId)
        {
            // The lease names the worker: changing it under a held lease would look like a second worker.
            restart.Add("Rotator:WorkerId");
            effective.WorkerId = current.WorkerId;
        }

        return new ReloadPlan(effective, [.. changes.Values.OrderBy(c => c.Key, StringComparer.Ordinal)], restart);
    }

    /// <summary>The desired keys in their order, with each waiting key's old definition in its place (a waiting removal at the end).</summary>
    private static IEnumerable<ManagedKeyOptions> Merge(RotatorOptions current, RotatorOptions desired, Dictionary<string, PlannedChange> changes)
    {
        var old = current.Keys.ToDictionary(k => k.Name, StringComparer.Ordinal);
        foreach (var key in desired.Keys)
        {
            var change = changes.GetValueOrDefault(key.Name);
            if (change is { Deferred: true, Change: KeyChange.Added })
            {
                continue;
            }

            yield return change is { Deferred: true } ? old[key.Name] : Copy(key);
        }

        foreach (var change in changes.Values.Where(c => c is { Deferred: true, Change: KeyChange.Removed }).OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            yield return old[change.Key];
        }
    }

    private static bool IdentityChanged(ManagedKeyOptions was, ManagedKeyOptions now) =>
        !string.Equals(was.Secret, now.Secret, StringComparison.OrdinalIgnoreCase)
        || was.Issuer.Kind != now.Issuer.Kind
        || (now.Issuer.Kind == IssuerType.Http && !string.Equals(was.Issuer.Http.Account, now.Issuer.Http.Account, StringComparison.Ordinal));

    private static bool SameJson<T>(T a, T b) => JsonSerializer.Serialize(a, Json) == JsonSerializer.Serialize(b, Json);

    /// <summary>A deep copy, so that what is put in force never shares objects with a configuration read later.</summary>
    private static T Copy<T>(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, Json), Json)!;
}
