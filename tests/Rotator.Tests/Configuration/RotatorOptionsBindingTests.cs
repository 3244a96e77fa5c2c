using System.Text;
using Microsoft.Extensions.Configuration;
using Rotator.Configuration;

namespace Rotator.Tests.Configuration;

public sealed class RotatorOptionsBindingTests
{
    private const string Json = """
        {
          "Rotator": {
            "Vault": { "Uri": "https://my-vault.vault.azure.net/", "Credential": "ManagedIdentity", "NetworkTimeout": "00:00:05" },
            "Retry": { "MaxAttempts": 5, "BaseDelay": "00:00:00.500", "MaxDelay": "00:01:00" },
            "Keys": [
              {
                "Name": "billing",
                "Secret": "billing-api-key",
                "Schedule": { "Cron": "0 0 3 ? * MON", "TimeZone": "Europe/Berlin", "Jitter": "00:30:00" },
                "Rollout": { "PollInterval": "00:00:00.250", "StableFor": "00:00:02", "Timeout": "02:00:00" },
                "Issuer": {
                  "Type": "Http",
                  "Http": {
                    "BaseUrl": "https://api.vendor.example/v1/",
                    "Account": "acct-1",
                    "CredentialSecret": "vendor-admin",
                    "Create": { "Url": "accounts/{account}/keys", "Body": "{\"name\":\"{label}\"}" },
                    "List": { "Url": "accounts/{account}/keys" },
                    "Revoke": { "Url": "accounts/{account}/keys/{id}" },
                    "Verify": { "Url": "me", "Attempts": 3 },
                    "Pointers": { "Items": "/data", "Status": "/state" },
                    "Pagination": { "Style": "Cursor", "Next": "/meta/cursor" }
                  }
                },
                "Consumers": [
                  { "Url": "http://billing.prod.svc.cluster.local:8080/rotator/key", "MinAddresses": 3 },
                  { "Type": "http", "Url": "http://billing-batch.prod.svc.cluster.local:8080/rotator/key" }
                ]
              },
              {
                "Name": "internal-api",
                "Secret": "internal-api-key",
                "Bootstrap": true,
                "Schedule": { "Interval": "90.00:00:00" },
                "Issuer": { "Type": "Generated", "Prefix": "ik_", "Alphabet": "0123456789abcdef", "Length": 64 },
                "Consumers": [ { "Url": "http://caller.prod.svc.cluster.local:8080/rotator/key" } ],
                "Verifiers": [ { "Url": "http://internal-api.prod.svc.cluster.local:8080/rotator/accepts" } ]
              }
            ]
          }
        }
        """;

    private static RotatorOptions Bind(string json)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)))
            .Build();
        var options = new RotatorOptions();
        configuration.GetSection(RotatorOptions.SectionName).Bind(options);
        return options;
    }

    [Fact]
    public void A_json_configuration_binds_and_validates()
    {
        var options = Bind(Json);

        Assert.Empty(ValidOptions.Failures(options));
        Assert.Equal(new Uri("https://my-vault.vault.azure.net/"), options.Vault.Uri);
        Assert.Equal(VaultCredential.ManagedIdentity, options.Vault.Credential);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.Retry.BaseDelay);
        Assert.Equal(2, options.Keys.Count);

        var billing = options.Keys[0];
        Assert.Equal(TimeSpan.FromMilliseconds(250), billing.Rollout.PollInterval);
        Assert.Equal(IssuerType.Http, billing.Issuer.Kind);
        Assert.Equal("POST", billing.Issuer.Http.Create.Method);
        Assert.Equal("DELETE", billing.Issuer.Http.Revoke.Method);
        Assert.Equal("""{"name":"{label}"}""", billing.Issuer.Http.Create.Body);
        Assert.Equal(3, billing.Issuer.Http.Verify!.Attempts);
        Assert.Equal("/data", billing.Issuer.Http.Pointers.Items);
        Assert.Equal("/id", billing.Issuer.Http.Pointers.Id);
        Assert.Equal(PaginationStyle.Cursor, billing.Issuer.Http.Pagination.Style);
        Assert.Equal(3, billing.Consumers[0].MinAddresses);
        Assert.Equal(ProbeType.Http, billing.Consumers[1].Kind);

        var generated = options.Keys[1];
        Assert.True(generated.Bootstrap);
        Assert.Equal(TimeSpan.FromDays(90), generated.Schedule.Interval);
        Assert.Null(generated.Schedule.Cron);
        Assert.Equal(IssuerType.Generated, generated.Issuer.Kind);
        Assert.Equal(64, generated.Issuer.Length);
        Assert.Single(generated.Verifiers);
    }

    [Fact]
    public void An_unknown_issuer_type_is_a_validation_message_not_an_exception()
    {
        var options = Bind(Json.Replace("\"Type\": \"Generated\"", "\"Type\": \"Generator\"", StringComparison.Ordinal));

        Assert.Null(options.Keys[1].Issuer.Kind);
        var failure = ValidOptions.AssertSingleFailure(options, "Keys[internal-api].Issuer.Type", "\"Generator\" is not a known issuer type");
        Assert.EndsWith("use one of Generated, Http.", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_probe_type_is_a_validation_message_not_an_exception()
    {
        var options = Bind(Json.Replace("\"Type\": \"http\"", "\"Type\": \"grpc\"", StringComparison.Ordinal));

        ValidOptions.AssertSingleFailure(options, "Keys[billing].Consumers[1].Type", "\"grpc\" is not a known probe type");
    }

    [Fact]
    public void A_relative_vault_uri_from_json_is_a_validation_message()
    {
        var options = Bind(Json.Replace("https://my-vault.vault.azure.net/", "my-vault", StringComparison.Ordinal));

        ValidOptions.AssertSingleFailure(options, "Vault.Uri", "\"my-vault\" is not an absolute https URI");
    }

    [Fact]
    public void An_empty_section_binds_to_nothing_to_rotate()
    {
        var options = Bind("""{ "Rotator": { "Vault": { "Uri": "https://my-vault.vault.azure.net/" } } }""");

        Assert.Empty(options.Keys);
        Assert.Empty(ValidOptions.Failures(options));
    }
}
