using System.Security.Cryptography;
using Rotator.Issuers;

namespace Rotator.Tests.Fakes;

/// <summary>A vendor account in memory: a limit of active keys, values shown once, and scripted failures.</summary>
internal sealed class FakeIssuer(int maxActiveKeys = 2) : IKeyIssuer
{
    private int counter;

    public Dictionary<string, (string Value, string? Label)> Active { get; } = [];

    public List<string> Revoked { get; } = [];

    public List<string> Minted { get; } = [];

    /// <summary>The next create mints the key, then answers as if it timed out.</summary>
    public bool LoseNextCreateAnswer { get; set; }

    public bool FailNextCreate { get; set; }

    /// <summary>Every create mints the key and then the process "dies": an exception nothing in Rotator catches.</summary>
    public bool DieAfterCreate { get; set; }

    public bool RejectVerify { get; set; }

    public int Creates { get; private set; }

    /// <summary>Runs at the start of every create: what happens elsewhere while the vendor is asked.</summary>
    public Action? OnCreate { get; set; }

    /// <summary>The vendor refuses to list keys (a permanent failure).</summary>
    public bool CannotList { get; set; }

    public string Seed(string? label = null)
    {
        var value = "vk_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        Active[$"key_{++counter}"] = (value, label);
        return value;
    }

    public Task<IReadOnlyList<IssuerKey>> ListAsync(CancellationToken cancellationToken) => CannotList
        ? throw new IssuerException(IssuerFailure.Permanent, "list answered 405 Method Not Allowed.")
        : Task.FromResult<IReadOnlyList<IssuerKey>>([.. Active.Select(k => new IssuerKey(k.Key, k.Value.Label, null, null))]);

    public Task<MintedKey> CreateAsync(string label, CancellationToken cancellationToken)
    {
        Creates++;
        OnCreate?.Invoke();
        if (FailNextCreate)
        {
            FailNextCreate = false;
            throw new IssuerException(IssuerFailure.MaybeMinted, "create answered 503");
        }

        if (Active.Count >= maxActiveKeys)
        {
            throw new IssuerException(IssuerFailure.Permanent, "create refused: limit reached");
        }

        var value = Seed(label);
        var id = $"key_{counter}";
        Minted.Add(id);
        if (DieAfterCreate)
        {
            throw new InvalidOperationException("the process died here");
        }

        if (LoseNextCreateAnswer)
        {
            LoseNextCreateAnswer = false;
            throw new IssuerException(IssuerFailure.MaybeMinted, "create timed out");
        }

        return Task.FromResult(new MintedKey(id, value));
    }

    public Task<bool> VerifyAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(!RejectVerify && Active.Values.Any(v => v.Value == key));

    public Task RevokeAsync(string id, CancellationToken cancellationToken)
    {
        if (Active.Remove(id))
        {
            Revoked.Add(id);
        }

        return Task.CompletedTask;
    }
}
