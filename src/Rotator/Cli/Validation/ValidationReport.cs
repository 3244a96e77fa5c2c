namespace Rotator.Cli.Validation;

/// <summary>What <c>validate</c> found: problems (each naming the key, what failed and how to fix it), notes, and what it checked.</summary>
internal sealed class ValidationReport
{
    public List<string> Problems { get; } = [];

    public List<string> Notes { get; } = [];

    public int SecretsChecked { get; set; }

    public int VendorListings { get; set; }

    public int ProbeAddresses { get; set; }

    public bool Passed => Problems.Count == 0;

    public void Problem(string owner, string text) => Problems.Add($"{owner}: {text}");
}

/// <summary>One vault secret <c>validate</c> reads, and why Rotator needs it.</summary>
/// <param name="Owner">The configuration entry it belongs to, as the configuration's own messages name it (<c>Keys[billing]</c>).</param>
/// <param name="MustExist">Whether a missing secret is a problem, and if so how to create it; null when Rotator creates it itself.</param>
internal sealed record SecretCheck(string Owner, string Secret, string Purpose, bool List, string? MustExist);
