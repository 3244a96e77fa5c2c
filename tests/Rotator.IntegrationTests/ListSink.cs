using Serilog.Core;
using Serilog.Events;

namespace Rotator.IntegrationTests;

/// <summary>Keeps every log event the worker writes, rendered with its properties and exception, for tests to search.</summary>
internal sealed class ListSink : ILogEventSink
{
    private readonly List<string> lines = [];

    public void Emit(LogEvent logEvent)
    {
        var text = $"{logEvent.Level} {logEvent.RenderMessage()} {string.Join(' ', logEvent.Properties.Select(p => $"{p.Key}={p.Value}"))} {logEvent.Exception}";
        lock (lines)
        {
            lines.Add(text);
        }
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (lines)
            {
                return [.. lines];
            }
        }
    }

    public string Text => string.Join('\n', Lines);
}
