using Microsoft.Extensions.Logging;

namespace Rotator.Tests.Fakes;

/// <summary>A logger that keeps every rendered line, so tests can read what an operator would see.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public List<(LogLevel Level, string Message)> Lines { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Lines)
        {
            Lines.Add((logLevel, formatter(state, exception) + (exception is null ? "" : " " + exception)));
        }
    }

    public string Text
    {
        get
        {
            lock (Lines)
            {
                return string.Join('\n', Lines.Select(l => l.Message));
            }
        }
    }
}
