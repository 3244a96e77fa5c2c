using Microsoft.Extensions.Options;

namespace Rotator.Configuration;

/// <summary>
/// <see cref="IOptionsMonitor{TOptions}"/> for <see cref="RotatorOptions"/> that returns the last accepted options.
/// The first value comes from the options pipeline (so an invalid start-up configuration still fails validation at
/// start); later values only from the configuration reloader, after validation, so a bad edit can never make
/// <see cref="CurrentValue"/> throw or change.
/// </summary>
internal sealed class RotatorOptionsMonitor(IOptionsFactory<RotatorOptions> factory) : IOptionsMonitor<RotatorOptions>
{
    private readonly Lock gate = new();
    private readonly List<Action<RotatorOptions, string?>> listeners = [];
    private RotatorOptions? current;

    public RotatorOptions CurrentValue
    {
        get
        {
            if (Volatile.Read(ref current) is { } value)
            {
                return value;
            }

            lock (gate)
            {
                return current ??= factory.Create(Options.DefaultName);
            }
        }
    }

    public RotatorOptions Get(string? name) => CurrentValue;

    public IDisposable OnChange(Action<RotatorOptions, string?> listener)
    {
        lock (gate)
        {
            listeners.Add(listener);
        }

        return new Subscription(this, listener);
    }

    /// <summary>Puts accepted options in force and tells the listeners.</summary>
    public void Replace(RotatorOptions options)
    {
        Action<RotatorOptions, string?>[] toCall;
        lock (gate)
        {
            Volatile.Write(ref current, options);
            toCall = [.. listeners];
        }

        foreach (var listener in toCall)
        {
            listener(options, Options.DefaultName);
        }
    }

    private sealed class Subscription(RotatorOptionsMonitor monitor, Action<RotatorOptions, string?> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (monitor.gate)
            {
                monitor.listeners.Remove(listener);
            }
        }
    }
}
