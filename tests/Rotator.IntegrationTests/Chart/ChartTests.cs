using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Rotator.Cli;
using Rotator.Configuration;
using Rotator.IntegrationTests.Rotation;
using Rotator.Telemetry;

namespace Rotator.IntegrationTests.Chart;

/// <summary>
/// What the Helm chart renders, as Kubernetes would run it. .ci/run has already checked every manifest against the
/// Kubernetes schemas and the values against values.schema.json; these check what the worker needs from them.
/// </summary>
public sealed class ChartTests
{
    private const string WebhookUrl = "Rotator__Webhook__Url";

    [Theory]
    [MemberData(nameof(RenderedChart.ValueSets), MemberType = typeof(RenderedChart))]
    public async Task Deployment_RunsExactlyOneReplica_AndReplacesItWithRecreate(string valueSet)
    {
        var chart = await RenderedChart.RenderAsync(valueSet, CancellationToken.None);

        Assert.Equal("1", (string?)chart.Deployment["spec"]!["replicas"]);
        Assert.Equal("Recreate", (string?)chart.Deployment["spec"]!["strategy"]!["type"]);
        Assert.Null(chart.Deployment["spec"]!["strategy"]!["rollingUpdate"]);
    }

    [Theory]
    [MemberData(nameof(RenderedChart.ValueSets), MemberType = typeof(RenderedChart))]
    public async Task Pod_RunsAsNonRoot_WithRuntimeDefaultSeccomp_AReadOnlyRoot_NoCapabilities_AndAWritableTmp(string valueSet)
    {
        var chart = await RenderedChart.RenderAsync(valueSet, CancellationToken.None);

        var pod = chart.PodSpec["securityContext"]!;
        Assert.Equal("true", (string?)pod["runAsNonRoot"]);
        Assert.Equal("RuntimeDefault", (string?)pod["seccompProfile"]!["type"]);
        Assert.True(int.Parse((string)pod["fsGroup"]!, CultureInfo.InvariantCulture) > 0);
        Assert.True(int.Parse((string)pod["runAsUser"]!, CultureInfo.InvariantCulture) > 0);

        var container = chart.Container["securityContext"]!;
        Assert.Equal("true", (string?)container["readOnlyRootFilesystem"]);
        Assert.Equal("false", (string?)container["allowPrivilegeEscalation"]);
        Assert.Contains("ALL", Strings(container["capabilities"]!["drop"]));
        Assert.Null(container["capabilities"]!["add"]);
        Assert.Null(container["privileged"]);

        var tmp = Assert.Single(Mounts(chart), m => (string?)m["mountPath"] == "/tmp");
        Assert.NotNull(Volume(chart, (string)tmp["name"]!)["emptyDir"]);
        Assert.Equal("false", (string?)chart.PodSpec["automountServiceAccountToken"]);
    }

    [Fact]
    public async Task WorkloadIdentity_ServiceAccountNamesTheClient_AndThePodOptsIn()
    {
        var chart = await RenderedChart.RenderAsync("default", CancellationToken.None);

        var account = chart.Single("ServiceAccount");
        Assert.Equal(RenderedChart.ClientId, (string?)account["metadata"]!["annotations"]!["azure.workload.identity/client-id"]);
        Assert.Equal((string?)account["metadata"]!["name"], (string?)chart.PodSpec["serviceAccountName"]);
        Assert.Equal("true", (string?)chart.Deployment["spec"]!["template"]!["metadata"]!["labels"]!["azure.workload.identity/use"]);
        Assert.Equal(VaultCredential.WorkloadIdentity, chart.BindOptions().Vault.Credential);
    }

    [Fact]
    public async Task ManagedIdentity_PodDoesNotOptIntoWorkloadIdentity_AndMayReachTheMetadataService()
    {
        var chart = await RenderedChart.RenderAsync("full-values.yaml", CancellationToken.None);

        Assert.Null(chart.Deployment["spec"]!["template"]!["metadata"]!["labels"]!["azure.workload.identity/use"]);
        var vault = chart.BindOptions().Vault;
        Assert.Equal(VaultCredential.ManagedIdentity, vault.Credential);
        Assert.Equal("0d7c2f1e-8b3a-4c5d-9e6f-7a8b9c0d1e2f", vault.ManagedIdentityClientId);
        var egress = chart.Single("NetworkPolicy")["spec"]!["egress"]!.AsArray();
        Assert.Contains(egress, rule => rule!["to"]?[0]?["ipBlock"]?["cidr"]?.GetValue<string>() == "169.254.169.254/32");
    }

    [Theory]
    [MemberData(nameof(RenderedChart.ValueSets), MemberType = typeof(RenderedChart))]
    public async Task Configuration_IsAConfigMapMountedAsADirectory_WithoutSubPathOrChecksum_SoThatItReloads(string valueSet)
    {
        var chart = await RenderedChart.RenderAsync(valueSet, CancellationToken.None);

        Assert.All(Mounts(chart), m => Assert.Null(m["subPath"]));
        var args = Strings(chart.Container["args"]);
        var file = args[args.IndexOf("--config") + 1];
        // The admin commands run by `kubectl exec` find the same file through the environment.
        Assert.Contains(chart.Container["env"]!.AsArray(), e => (string?)e!["name"] == RotatorCommands.ConfigVariable && (string?)e["value"] == file);
        var mount = Assert.Single(Mounts(chart), m => (string?)m["mountPath"] == Path.GetDirectoryName(file));
        Assert.Equal("true", (string?)mount["readOnly"]);

        var configMap = chart.Single("ConfigMap");
        var source = Volume(chart, (string)mount["name"]!)["configMap"]!;
        Assert.Equal((string?)configMap["metadata"]!["name"], (string?)source["name"]);
        Assert.Null(source["items"]);
        Assert.NotNull(configMap["data"]![Path.GetFileName(file)]);

        var annotations = chart.Deployment["spec"]!["template"]!["metadata"]!["annotations"]?.AsObject() ?? [];
        Assert.DoesNotContain(annotations, a => a.Key.Contains("checksum", StringComparison.OrdinalIgnoreCase));
        Assert.Null(chart.Container["command"]);
    }

    [Theory]
    [MemberData(nameof(RenderedChart.ValueSets), MemberType = typeof(RenderedChart))]
    public async Task Probes_AndService_UseTheHealthEndpointsAndThePortTheWorkerListensOn(string valueSet)
    {
        var chart = await RenderedChart.RenderAsync(valueSet, CancellationToken.None);

        var listening = new Uri(chart.BindOptions().Admin.Urls).Port.ToString(CultureInfo.InvariantCulture);
        var port = Assert.Single(chart.Container["ports"]!.AsArray())!;
        Assert.Equal(listening, (string?)port["containerPort"]);
        Assert.Equal(TelemetryExtensions.LivePath, (string?)chart.Container["livenessProbe"]!["httpGet"]!["path"]);
        Assert.Equal(TelemetryExtensions.LivePath, (string?)chart.Container["startupProbe"]!["httpGet"]!["path"]);
        Assert.Equal(TelemetryExtensions.ReadyPath, (string?)chart.Container["readinessProbe"]!["httpGet"]!["path"]);
        Assert.All(
            new[] { "livenessProbe", "readinessProbe", "startupProbe" },
            probe => Assert.Equal((string?)port["name"], (string?)chart.Container[probe]!["httpGet"]!["port"]));

        var service = Assert.Single(chart.Single("Service")["spec"]!["ports"]!.AsArray())!;
        Assert.Equal((string?)port["name"], (string?)service["targetPort"]);
        Assert.Equal("Production", Environment(chart)["DOTNET_ENVIRONMENT"]["value"]?.GetValue<string>());
        // The admin commands run with kubectl exec find the API on the port the worker listens on.
        Assert.Equal($"http://127.0.0.1:{listening}", Environment(chart)["ROTATOR_URL"]["value"]?.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(RenderedChart.ValueSets), MemberType = typeof(RenderedChart))]
    public async Task RenderedConfiguration_PassesRotatorsOwnValidation_WithTheReleaseAsWorkerId(string valueSet)
    {
        var chart = await RenderedChart.RenderAsync(valueSet, CancellationToken.None);

        // With every variable the pod gets from a Secret set, as the kubelet would.
        var fromSecrets = Environment(chart)
            .Where(e => e.Key.StartsWith("Rotator__", StringComparison.Ordinal))
            .Select(e => KeyValuePair.Create(
                e.Key.Replace("__", ":", StringComparison.Ordinal),
                (string?)(e.Key == WebhookUrl ? "https://hooks.example.com/from-a-secret" : "placeholder-from-a-secret")));
        var options = chart.BindOptions(fromSecrets);

        Assert.Empty(new RotatorOptionsValidator(localVaultAllowed: false).Collect(options));
        Assert.Equal(RenderedChart.Release, options.WorkerId);
        Assert.NotNull(options.Vault.Uri);
    }

    [Fact]
    public async Task AdminSeedsAndWebhookUrl_ComeFromExistingSecrets_AtTheIndexOfTheirAdminKey()
    {
        var chart = await RenderedChart.RenderAsync("full-values.yaml", CancellationToken.None);

        var environment = Environment(chart);
        var seeds = environment.Where(e => e.Key.EndsWith("__Seed", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, seeds.Count);
        Assert.All(seeds, s =>
        {
            Assert.Null(s.Value["value"]);
            Assert.Equal("rotator-admin-seeds", (string?)s.Value["valueFrom"]!["secretKeyRef"]!["name"]);
        });
        Assert.Equal("oncall", (string?)environment["Rotator__Admin__Keys__0__Seed"]["valueFrom"]!["secretKeyRef"]!["key"]);
        Assert.Equal("dashboard", (string?)environment["Rotator__Admin__Keys__1__Seed"]["valueFrom"]!["secretKeyRef"]!["key"]);
        Assert.Null(environment[WebhookUrl]["value"]);
        Assert.Equal("rotator-slack", (string?)environment[WebhookUrl]["valueFrom"]!["secretKeyRef"]!["name"]);
        Assert.Equal("webhook-url", (string?)environment[WebhookUrl]["valueFrom"]!["secretKeyRef"]!["key"]);

        var options = chart.BindOptions(seeds.Select(s => KeyValuePair.Create(s.Key.Replace("__", ":", StringComparison.Ordinal), (string?)$"seed-of-{s.Key}")));
        Assert.Equal(["platform-oncall", "dashboard"], options.Admin.Keys.Select(k => k.Name));
        Assert.Equal(["seed-of-Rotator__Admin__Keys__0__Seed", "seed-of-Rotator__Admin__Keys__1__Seed"], options.Admin.Keys.Select(k => k.Seed));
        Assert.DoesNotContain("Seed", chart.RotatorJson, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("\"Url\": \"https://hooks", chart.RotatorJson, StringComparison.Ordinal);
        Assert.Equal("Slack", (string?)JsonNode.Parse(chart.RotatorJson)!["Rotator"]!["Webhook"]!["Format"]);
    }

    [Fact]
    public async Task PrometheusRule_AlertsOnTheMetricNamedInValues()
    {
        var chart = await RenderedChart.RenderAsync("monitoring-values.yaml", CancellationToken.None);
        var metrics = RenderedChart.DefaultValues()["prometheusRule"]!["metrics"]!;

        var rules = chart.Single("PrometheusRule")["spec"]!["groups"]![0]!["rules"]!.AsArray()
            .ToDictionary(r => (string)r!["alert"]!, r => (string)r!["expr"]!);
        Assert.Contains((string)metrics["keyAge"]!, rules["RotatorKeyOlderThanMaxAge"], StringComparison.Ordinal);
        Assert.Contains((string)metrics["keyMaxAge"]!, rules["RotatorKeyOlderThanMaxAge"], StringComparison.Ordinal);
        Assert.Contains($"{metrics["phaseLabel"]}=\"Stalled\"", rules["RotatorKeyStalled"], StringComparison.Ordinal);
        Assert.StartsWith((string)metrics["keysByPhase"]!, rules["RotatorKeyStalled"], StringComparison.Ordinal);
        Assert.Contains($"{metrics["phaseLabel"]}=\"NeedsAttention\"", rules["RotatorKeyNeedsAttention"], StringComparison.Ordinal);
        Assert.StartsWith((string)metrics["keysByPhase"]!, rules["RotatorKeyNeedsAttention"], StringComparison.Ordinal);
        Assert.Contains((string)metrics["lastCompleted"]!, rules["RotatorNoSuccessfulRotation"], StringComparison.Ordinal);
        Assert.EndsWith($"> {100 * 86400}", rules["RotatorNoSuccessfulRotation"], StringComparison.Ordinal);
        Assert.All(rules.Values, expr => Assert.Contains("namespace=\"prod\",service=\"payments-rotator\"", expr, StringComparison.Ordinal));

        var monitor = chart.Single("ServiceMonitor")["spec"]!["endpoints"]![0]!;
        Assert.Equal(TelemetryExtensions.MetricsPath, (string?)monitor["path"]);
        Assert.Equal((string?)chart.Container["ports"]![0]!["name"], (string?)monitor["port"]);
    }

    /// <summary>Every metric a rule names must be in a real scrape of a worker that has rotated, or the alert never fires.</summary>
    [Fact]
    public async Task PrometheusRule_EveryMetricItNames_IsInAScrapeOfTheWorkersMetricsEndpoint()
    {
        var chart = await RenderedChart.RenderAsync("monitoring-values.yaml", CancellationToken.None);
        var named = chart.Single("PrometheusRule")["spec"]!["groups"]![0]!["rules"]!.AsArray()
            .SelectMany(r => Regex.Matches((string)r!["expr"]!, "rotator_[a-z_]+").Select(m => m.Value))
            .ToHashSet(StringComparer.Ordinal);
        Assert.True(named.Count >= 4, $"the rules name too few metrics: {string.Join(", ", named)}");

        await using var world = await RotationWorld.StartAsync(new WorldOptions { Configure = c => c["Rotator:Keys:0:Schedule:MaxAge"] = "1.00:00:00" });
        await world.WaitForRotationsAsync(1, TimeSpan.FromSeconds(90));
        using var http = new HttpClient();
        var scrape = await http.GetStringAsync(new Uri(world.AdminAddress, TelemetryExtensions.MetricsPath));

        var exported = scrape.Split('\n').Where(l => l.StartsWith("rotator_", StringComparison.Ordinal))
            .Select(l => l[..l.IndexOfAny(['{', ' '])]).ToHashSet(StringComparer.Ordinal);
        Assert.All(named, metric => Assert.Contains(metric, exported));
    }

    [Fact]
    public async Task Defaults_RenderNeitherServiceMonitorNorPrometheusRule()
    {
        var chart = await RenderedChart.RenderAsync("default", CancellationToken.None);

        Assert.False(chart.Has("ServiceMonitor"));
        Assert.False(chart.Has("PrometheusRule"));
    }

    [Fact]
    public async Task NetworkPolicy_LetsInTheAdminPort_AndOutDnsHttpsAndTheProbeAndVendorPorts()
    {
        var chart = await RenderedChart.RenderAsync("full-values.yaml", CancellationToken.None);

        var spec = chart.Single("NetworkPolicy")["spec"]!;
        Assert.Equal(["Ingress", "Egress"], Strings(spec["policyTypes"]));
        Assert.Equal("9090", (string?)spec["ingress"]![0]!["ports"]![0]!["port"]);
        var open = spec["egress"]!.AsArray()
            .Where(rule => rule!["to"] is null)
            .SelectMany(rule => rule!["ports"]!.AsArray())
            .Select(p => $"{p!["port"]}/{p["protocol"]}")
            .ToList();
        Assert.Equal(["53/UDP", "53/TCP", "443/TCP", "8080/TCP", "9000/TCP", "8443/TCP"], open);
    }

    private static List<string> Strings(JsonNode? list) => [.. list!.AsArray().Select(n => (string)n!)];

    private static IEnumerable<JsonObject> Mounts(RenderedChart chart) =>
        chart.Container["volumeMounts"]!.AsArray().Select(m => m!.AsObject());

    private static JsonObject Volume(RenderedChart chart, string name) =>
        Assert.Single(chart.PodSpec["volumes"]!.AsArray(), v => (string?)v!["name"] == name)!.AsObject();

    private static Dictionary<string, JsonObject> Environment(RenderedChart chart) =>
        chart.Container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!.AsObject());
}
