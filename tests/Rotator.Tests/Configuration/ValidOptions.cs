using Microsoft.Extensions.Options;
using Rotator.Configuration;

namespace Rotator.Tests.Configuration;

/// <summary>A valid baseline configuration (one vendor key, one generated key) and assertions over the validator.</summary>
internal static class ValidOptions
{
    public const string Billing = "Keys[billing]";

    public const string Internal = "Keys[internal-api]";

    public static RotatorOptions Create() => new()
    {
        Vault = new VaultOptions { Uri = new Uri("https://my-vault.vault.azure.net/") },
        Keys =
        [
            new ManagedKeyOptions
            {
                Name = "billing",
                Secret = "billing-api-key",
                Schedule = new ScheduleOptions { Cron = "0 0 3 ? * MON" },
                Issuer = new IssuerOptions
                {
                    Type = "Http",
                    Http = new HttpIssuerOptions
                    {
                        BaseUrl = new Uri("https://api.vendor.example/v1/"),
                        Account = "acct-1",
                        CredentialSecret = "vendor-admin",
                        Create = new HttpOperationOptions
                        {
                            Method = "POST",
                            Url = "accounts/{account}/keys",
                            Body = """{"name":"{label}"}""",
                        },
                        List = new HttpOperationOptions { Method = "GET", Url = "accounts/{account}/keys" },
                        Revoke = new HttpOperationOptions { Method = "DELETE", Url = "accounts/{account}/keys/{id}" },
                    },
                },
                Consumers = [new ProbeOptions { Url = new Uri("http://billing.prod.svc.cluster.local:8080/rotator/key") }],
            },
            new ManagedKeyOptions
            {
                Name = "internal-api",
                Secret = "internal-api-key",
                Schedule = new ScheduleOptions { Interval = TimeSpan.FromDays(90) },
                Issuer = new IssuerOptions { Type = "Generated", Prefix = "ik_" },
                Consumers = [new ProbeOptions { Url = new Uri("http://caller.prod.svc.cluster.local:8080/rotator/key") }],
                Verifiers = [new ProbeOptions { Url = new Uri("http://internal-api.prod.svc.cluster.local:8080/rotator/accepts") }],
            },
        ],
    };

    public static ManagedKeyOptions BillingKey(this RotatorOptions options) => options.Keys[0];

    public static ManagedKeyOptions InternalKey(this RotatorOptions options) => options.Keys[1];

    public static HttpIssuerOptions Http(this RotatorOptions options) => options.Keys[0].Issuer.Http;

    public static IReadOnlyList<string> Failures(RotatorOptions options, bool localVaultAllowed = false)
    {
        var validator = new RotatorOptionsValidator(localVaultAllowed);
        var result = validator.Validate(Options.DefaultName, options);
        var collected = validator.Collect(options);
        if (collected.Count == 0)
        {
            Assert.True(result.Succeeded, result.FailureMessage);
        }
        else
        {
            Assert.True(result.Failed);
            Assert.Equal(collected, result.Failures);
        }

        return collected;
    }

    /// <summary>Asserts exactly one failure, naming the field by its full path, and containing <paramref name="fragment"/>.</summary>
    public static string AssertSingleFailure(RotatorOptions options, string path, string fragment, bool localVaultAllowed = false)
    {
        var failures = Failures(options, localVaultAllowed);
        var failure = Assert.Single(failures);
        Assert.StartsWith(path + ": ", failure, StringComparison.Ordinal);
        Assert.Contains(fragment, failure, StringComparison.Ordinal);
        return failure;
    }
}
