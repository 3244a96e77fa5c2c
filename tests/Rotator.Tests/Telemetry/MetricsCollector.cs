using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Rotator.Configuration;
using Rotator.Rotation;
using Rotator.Telemetry;
using Rotator.Tests.Fakes;

namespace Rotator.Tests.Telemetry;

/// <summary>A <see cref="RotatorMetrics"/> on its own meter factory, with what its instruments recorded.</summary>
internal sealed class MetricsCollector : IDisposable
{
    private readonly ServiceProvider services;
    private readonly MeterListener listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> measurements = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> observations = new();

    public MetricsCollector(RotatorOptions? options = null)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        Observer = new RotationObserver();
        States = new KeyStates(Observer, Time);
        Options = new TestOptionsMonitor<RotatorOptions>(options ?? new RotatorOptions());
        services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        Metrics = new RotatorMetrics(services.GetRequiredService<IMeterFactory>(), States, Options, Time);
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, Metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        listener.Start();
    }

    public FakeTimeProvider Time { get; }

    public RotationObserver Observer { get; }

    public KeyStates States { get; }

    public TestOptionsMonitor<RotatorOptions> Options { get; }

    public RotatorMetrics Metrics { get; }

    /// <summary>Everything counted or recorded so far, and what the observable gauges say now.</summary>
    public IReadOnlyList<(string Instrument, double Value, Dictionary<string, object?> Tags)> Read()
    {
        observations.Clear();
        listener.RecordObservableInstruments();
        return [.. measurements, .. observations];
    }

    public double Sum(string instrument, params (string Key, string Value)[] tags) =>
        Read().Where(m => m.Instrument == instrument && tags.All(t => Equals(m.Tags.GetValueOrDefault(t.Key), t.Value))).Sum(m => m.Value);

    public void Dispose()
    {
        listener.Dispose();
        Metrics.Dispose();
        services.Dispose();
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        (instrument.IsObservable ? observations : measurements).Enqueue((instrument.Name, value, copy));
    }
}
