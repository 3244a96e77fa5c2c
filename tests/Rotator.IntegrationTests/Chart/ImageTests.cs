using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Rotator.IntegrationTests.Chart;

/// <summary>
/// The Dockerfile's promises, read from the file (no container engine needed): .ci/run runs its restore and publish
/// lines and checks the entry point's file; these check the rest.
/// </summary>
public sealed partial class ImageTests
{
    private static readonly string Root = RenderedChart.RepositoryRoot;

    private static readonly string[] Lines = File.ReadAllLines(Path.Combine(Root, "Dockerfile"));

    [Fact]
    public void Runtime_IsAPinnedChiseledAspNetImage_RunningAsTheAppUser_WithAnExecFormEntryPoint()
    {
        var stages = Lines.Select((line, i) => (line, i)).Where(l => l.line.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, stages.Count);
        Assert.Matches(PinnedSdk(), stages[0].line);
        Assert.Matches(PinnedChiseledRuntime(), stages[1].line);

        var runtime = Lines.Skip(stages[1].i).ToList();
        Assert.Contains("USER $APP_UID", runtime);
        Assert.Equal("ENTRYPOINT [\"dotnet\", \"/app/Rotator.dll\", \"run\"]", runtime.Last(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal)));
        Assert.Contains("ENV DOTNET_ENVIRONMENT=Production", runtime);
        Assert.DoesNotContain(runtime, l => l.StartsWith("RUN ", StringComparison.Ordinal));
    }

    [Fact]
    public void Restore_IsItsOwnLayer_CopyingEveryProjectTheWorkerReferencesAndNoSource()
    {
        var restore = Array.FindIndex(Lines, l => l.StartsWith("RUN dotnet restore src/Rotator/Rotator.csproj", StringComparison.Ordinal));
        Assert.True(restore > 0, "no `RUN dotnet restore src/Rotator/Rotator.csproj` line");
        var copied = Lines.Take(restore)
            .Where(l => l.StartsWith("COPY ", StringComparison.Ordinal))
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])
            .ToList();

        Assert.All(copied, file => Assert.Matches(RestoreInput(), file));
        Assert.Contains("Directory.Packages.props", copied);
        Assert.Contains("Directory.Build.props", copied);
        Assert.Contains("global.json", copied);
        Assert.Superset(ProjectsOf("src/Rotator/Rotator.csproj"), copied.ToHashSet());

        var publish = Array.FindIndex(Lines, l => l.StartsWith("RUN dotnet publish ", StringComparison.Ordinal));
        Assert.True(publish > restore);
        Assert.Contains("--no-restore", Lines[publish], StringComparison.Ordinal);
        Assert.Contains("-o /app", Lines[publish], StringComparison.Ordinal);
    }

    [Fact]
    public void DockerIgnore_KeepsBuildOutputAndGitOutOfTheContext()
    {
        var ignored = File.ReadAllLines(Path.Combine(Root, ".dockerignore"));

        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        Assert.Contains(".git/", ignored);
    }

    /// <summary>The project and every project it references, transitively, as paths from the repository root.</summary>
    private static HashSet<string> ProjectsOf(string project)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            if (!found.Add(next))
            {
                continue;
            }

            var folder = Path.GetDirectoryName(Path.Combine(Root, next))!;
            foreach (var reference in XDocument.Load(Path.Combine(Root, next)).Descendants("ProjectReference"))
            {
                var path = Path.GetFullPath(Path.Combine(folder, reference.Attribute("Include")!.Value.Replace('\\', '/')));
                pending.Push(Path.GetRelativePath(Root, path).Replace('\\', '/'));
            }
        }

        return found;
    }

    [GeneratedRegex(@"^FROM mcr\.microsoft\.com/dotnet/sdk:10\.0\.\d+-noble AS build$")]
    private static partial Regex PinnedSdk();

    [GeneratedRegex(@"^FROM mcr\.microsoft\.com/dotnet/aspnet:10\.0\.\d+-noble-chiseled-extra AS runtime$")]
    private static partial Regex PinnedChiseledRuntime();

    /// <summary>What restore needs and nothing that changes with every source edit.</summary>
    [GeneratedRegex(@"^(global\.json|Directory\.(Build|Packages)\.props|src/[\w.]+/[\w.]+\.csproj)$")]
    private static partial Regex RestoreInput();
}
