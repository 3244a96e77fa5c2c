using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Rotator.Tests.Issuers.Http;

/// <summary>Keeps every log line, its structured values and its exception, at every level.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyList<string> Lines => [.. lines];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? string.Join(" | ", pairs.Select(p => $"{p.Key}={p.Value}"))
            : "";
        lines.Enqueue($"{logLevel} {eventId} {formatter(state, exception)} [{values}] {exception}");
    }
}
