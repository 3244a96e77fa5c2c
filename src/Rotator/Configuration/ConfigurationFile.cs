using System.Text.Json;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace Rotator.Configuration;

/// <summary>
/// The worker's <c>--config</c> file, watched for changes by polling. In Kubernetes a ConfigMap is a directory whose
/// file is a symlink into <c>..data</c>, which is itself a symlink swapped atomically on every update; inotify does
/// not report that swap for the file, but the polling token resolves the link to its final target and compares that
/// target's last write time for inequality, so a swap to an older file is noticed too. The library polls every four
/// seconds (a fixed period it does not let callers change).
/// </summary>
internal sealed class ConfigurationFile : IDisposable
{
    private readonly PhysicalFileProvider provider;
    private string? loadError;
    private bool loaded;

    private ConfigurationFile(FileInfo file)
    {
        Path = file.FullName;
        provider = new PhysicalFileProvider(file.DirectoryName!) { UsePollingFileWatcher = true, UseActivePolling = true };
    }

    /// <summary>The file's full path, as given (the symlink, not its target).</summary>
    public string Path { get; }

    public bool Exists => File.Exists(Path);

    /// <summary>Adds <paramref name="file"/> to the configuration with reload on change, and registers it for the reloader.</summary>
    public static void Add(IHostApplicationBuilder builder, FileInfo file)
    {
        if (!file.Exists)
        {
            throw new FileNotFoundException($"The configuration file '{file.FullName}' was not found; check the --config path.", file.FullName);
        }

        var watched = new ConfigurationFile(file);
        builder.Configuration.Add(new JsonConfigurationSource
        {
            FileProvider = watched.provider,
            Path = file.Name,
            Optional = false,
            ReloadOnChange = true,
            OnLoadException = watched.OnLoadException,
        });
        watched.loaded = true;
        builder.Services.AddSingleton(_ => watched);
    }

    /// <summary>Why the last reload could not read the file, once; null when it could.</summary>
    public string? TakeLoadError() => Interlocked.Exchange(ref loadError, null);

    public void Dispose() => provider.Dispose();

    /// <summary>
    /// At start-up a broken file stops the worker as before. On a reload it is recorded for the reloader, which rejects
    /// the edit, instead of escaping on the polling thread. Only the position is kept: a parser's message can quote the file.
    /// </summary>
    private void OnLoadException(FileLoadExceptionContext context)
    {
        if (!loaded)
        {
            return;
        }

        context.Ignore = true;
        var json = Inner<JsonException>(context.Exception);
        Volatile.Write(ref loadError, json is { LineNumber: { } line }
            ? $"{Path} is not valid JSON near line {line + 1}, byte {json.BytePositionInLine + 1}"
            : $"{Path} could not be read ({context.Exception.GetType().Name})");
    }

    private static T? Inner<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }
}
