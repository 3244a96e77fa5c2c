using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Rotator.Configuration;
using YamlDotNet.RepresentationModel;

namespace Rotator.IntegrationTests.Chart;

/// <summary>
/// charts/rotator rendered by the shared chart-check tool's renderer (the same one `check-chart` runs, which .ci/run
/// calls before the tests and which builds the renderer on first use), its manifests parsed into JSON nodes.
/// </summary>
internal sealed class RenderedChart
{
    /// <summary>The release every test renders: the Deployment is then <c>payments-rotator</c>.</summary>
    public const string Release = "payments";

    public const string ClientId = "00000000-0000-0000-0000-000000000000";

    private static readonly TimeSpan RenderLimit = TimeSpan.FromMinutes(1);

    private readonly IReadOnlyList<JsonObject> documents;

    private RenderedChart(IReadOnlyList<JsonObject> documents) => this.documents = documents;

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string ChartDirectory => Path.Combine(RepositoryRoot, "charts", "rotator");

    /// <summary>The value sets .ci/run checks: the defaults (with the two settings that have none) and each file under ci/.</summary>
    public static TheoryData<string> ValueSets => ["default", "monitoring-values.yaml", "full-values.yaml"];

    public IReadOnlyList<JsonObject> Documents => documents;

    public JsonObject Deployment => Single("Deployment");

    public JsonObject PodSpec => Deployment["spec"]!["template"]!["spec"]!.AsObject();

    public JsonObject Container => PodSpec["containers"]!.AsArray().Single()!.AsObject();

    /// <summary>The rotator.json the ConfigMap carries.</summary>
    public string RotatorJson => Single("ConfigMap")["data"]!["rotator.json"]!.GetValue<string>();

    public static async Task<RenderedChart> RenderAsync(string valueSet, CancellationToken cancellationToken)
    {
        string[] arguments = valueSet == "default"
            ? ["-set", "vault.uri=https://example-vault.vault.azure.net/", "-set", $"workloadIdentity.clientId={ClientId}"]
            : ["-f", Path.Combine(ChartDirectory, "ci", valueSet)];
        return Parse(await RunRendererAsync([.. arguments, "-name", Release, "-namespace", "prod", ChartDirectory], cancellationToken));
    }

    public JsonObject Single(string kind) => Assert.Single(documents, d => (string?)d["kind"] == kind);

    public bool Has(string kind) => documents.Any(d => (string?)d["kind"] == kind);

    /// <summary>Binds rotator.json, plus configuration as environment variables would add it, the way the worker does.</summary>
    public RotatorOptions BindOptions(IEnumerable<KeyValuePair<string, string?>>? environment = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(RotatorJson)))
            .AddInMemoryCollection(environment ?? [])
            .Build();
        return configuration.GetSection(RotatorOptions.SectionName).Get<RotatorOptions>() ?? new RotatorOptions();
    }

    /// <summary>The chart's values.yaml as JSON.</summary>
    public static JsonObject DefaultValues()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(ChartDirectory, "values.yaml"))));
        return ToJson(yaml.Documents[0].RootNode)!.AsObject();
    }

    private static RenderedChart Parse(string rendered)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(rendered));
        return new RenderedChart([.. yaml.Documents.Select(d => ToJson(d.RootNode)).OfType<JsonObject>()]);
    }

    /// <summary>Scalars stay strings: the assertions compare text, as the API server would see it after quoting.</summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode { Value: null or "null" or "~" } scalar when scalar.Style == YamlDotNet.Core.ScalarStyle.Plain => null,
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => null,
    };

    private static async Task<string> RunRendererAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var renderer = Path.Combine(CacheDirectory(), "render");
        if (!File.Exists(renderer))
        {
            Assert.Fail(
                $"chart-check's renderer is missing ({renderer}). Run `../shared/tools/chart-check/check-chart charts/rotator "
                + "-f charts/rotator/ci/monitoring-values.yaml` from the repository root first (.ci/run does, before dotnet test); "
                + "it installs what it needs and builds the renderer. CHART_CHECK_CACHE must name the same folder for both.");
        }

        var info = new ProcessStartInfo(renderer) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(RenderLimit);
        var output = process.StandardOutput.ReadToEndAsync(limit.Token);
        var errors = process.StandardError.ReadToEndAsync(limit.Token);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, $"the chart did not render ({string.Join(' ', info.ArgumentList)}): {await errors}");
        return await output;
    }

    /// <summary>The folder check-chart uses, chosen the same way it does.</summary>
    private static string CacheDirectory()
    {
        var explicitCache = Environment.GetEnvironmentVariable("CHART_CHECK_CACHE");
        if (!string.IsNullOrEmpty(explicitCache))
        {
            return explicitCache;
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var caches = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
        return Path.Combine(caches, "chart-check");
    }

    private static string FindRepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Rotator.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"no Rotator.sln above {AppContext.BaseDirectory}");
    }
}
