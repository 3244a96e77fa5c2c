using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Rotator.Tests.Fakes;

/// <summary>
/// Keeps every log line at every level, with its structured values and its exception, so tests can read what an
/// operator would see and search it for secrets.
/// </summary>
internal class ListLogger : ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> entries;

    public ListLogger()
        : this(new ConcurrentQueue<(LogLevel, string)>())
    {
    }

    internal ListLogger(ConcurrentQueue<(LogLevel Level, string Message)> shared) => entries = shared;

    public IReadOnlyList<(LogLevel Level, string Message)> Entries => [.. entries];

    public IReadOnlyList<string> Lines => [.. entries.Select(e => e.Message)];

    public string Text => string.Join('\n', Lines);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? string.Join(" | ", pairs.Select(p => $"{p.Key}={p.Value}"))
            : "";
        entries.Enqueue((logLevel, $"{logLevel} {eventId} {formatter(state, exception)} [{values}] {exception}"));
    }
}

internal sealed class ListLogger<T> : ListLogger, ILogger<T>;

/// <summary>Hands out loggers that all write to one list.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> entries = new();

    public IReadOnlyList<string> Lines => new ListLogger(entries).Lines;

    public ILogger CreateLogger(string categoryName) => new ListLogger(entries);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }
}
