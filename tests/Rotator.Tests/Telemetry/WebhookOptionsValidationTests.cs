using Rotator.Configuration;
using Rotator.Tests.Configuration;

namespace Rotator.Tests.Telemetry;

public sealed class WebhookOptionsValidationTests
{
    private static IReadOnlyList<string> Problems(Action<WebhookOptions> change)
    {
        var options = ValidOptions.Create();
        change(options.Webhook);
        return new RotatorOptionsValidator(localVaultAllowed: false).Collect(options);
    }

    [Fact]
    public void Collect_NoWebhook_IsValid() => Assert.Empty(Problems(_ => { }));

    [Fact]
    public void Collect_FullWebhook_IsValid() => Assert.Empty(Problems(w =>
    {
        w.Url = new Uri("https://hooks.slack.com/services/T0/B0/secret-part");
        w.Format = "slack";
        w.Events = ["completed", "needs_attention", "Stalled"];
    }));

    [Fact]
    public void Collect_RelativeOrNonHttpUrl_IsNamedWithoutQuotingIt()
    {
        var problem = Assert.Single(Problems(w => w.Url = new Uri("ftp://hooks.example/secret-part")));

        Assert.StartsWith("Rotator:Webhook:Url:", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-part", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Format", "Rotator:Webhook:Format: \"Teams\"")]
    [InlineData("Events", "Rotator:Webhook:Events: \"done\"")]
    [InlineData("Timeout", "Rotator:Webhook:Timeout:")]
    [InlineData("MaxAttempts", "Rotator:Webhook:MaxAttempts:")]
    [InlineData("Delays", "Rotator:Webhook:BaseDelay/MaxDelay:")]
    [InlineData("QueueCapacity", "Rotator:Webhook:QueueCapacity:")]
    public void Collect_BadField_OneProblemNamingIt(string field, string start)
    {
        var problems = Problems(w =>
        {
            w.Url = new Uri("https://hooks.example/x");
            switch (field)
            {
                case "Format": w.Format = "Teams"; break;
                case "Events": w.Events = ["completed", "done"]; break;
                case "Timeout": w.Timeout = TimeSpan.Zero; break;
                case "MaxAttempts": w.MaxAttempts = 0; break;
                case "Delays": w.MaxDelay = TimeSpan.FromMilliseconds(1); break;
                case "QueueCapacity": w.QueueCapacity = 0; break;
            }
        });

        Assert.StartsWith(start, Assert.Single(problems), StringComparison.Ordinal);
    }
}
