using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Rotator.Client;
using Rotator.Demo;

namespace Rotator.Tests.Demo;

public sealed class SampleConsumerProbeFaultTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeSecret secret = new();
    private SampleConsumer consumer = null!;

    public async Task InitializeAsync()
    {
        secret.Set("vk_probe-fault-test-key-value");

        // Nothing listens on the vendor address; the call interval on the fake clock never comes round anyway.
        consumer = new SampleConsumer("flappy", secret.ReadLatestAsync, new Uri("http://127.0.0.1:9/"), TimeSpan.FromHours(1), TimeSpan.FromHours(1), time, NullLogger.Instance);
        await consumer.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await consumer.DisposeAsync();

    [Fact]
    public void The_same_seed_draws_the_same_faults()
    {
        var kinds = new[] { ProbeFault.Unavailable, ProbeFault.Hang, ProbeFault.Garbage };
        var first = new ProbeFaults(0.3, seed: 1234, kinds);
        var second = new ProbeFaults(0.3, seed: 1234, kinds);

        var a = Enumerable.Range(0, 200).Select(_ => first.Draw()).ToList();
        var b = Enumerable.Range(0, 200).Select(_ => second.Draw()).ToList();

        Assert.Equal(a, b);
        Assert.Equal(200, first.Answered);
        Assert.Equal(a.Count(f => f is not null), first.Injected);
        Assert.Equal(a.Count(f => f == ProbeFault.Hang), first.InjectedOf(ProbeFault.Hang));
    }

    [Fact]
    public void Faults_come_at_about_the_probability_and_only_of_the_kinds_asked_for()
    {
        var faults = new ProbeFaults(0.2, seed: 7, [ProbeFault.Garbage, ProbeFault.Unavailable]);

        var drawn = Enumerable.Range(0, 2000).Select(_ => faults.Draw()).ToList();

        Assert.InRange(drawn.Count(f => f is not null), 300, 500);
        Assert.DoesNotContain(ProbeFault.Hang, drawn);
        Assert.Contains(ProbeFault.Garbage, drawn);
        Assert.Contains(ProbeFault.Unavailable, drawn);
        Assert.All(Enumerable.Range(0, 100).Select(_ => new ProbeFaults(0, 1, [ProbeFault.Garbage]).Draw()), f => Assert.Null(f));
        var always = new ProbeFaults(1, 1, [ProbeFault.Garbage]);
        Assert.All(Enumerable.Range(0, 100).Select(_ => always.Draw()), f => Assert.Equal(ProbeFault.Garbage, f));
    }

    [Fact]
    public void Nonsense_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProbeFaults(-0.1, 1, [ProbeFault.Garbage]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProbeFaults(1.1, 1, [ProbeFault.Garbage]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProbeFaults(0.5, 1, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProbeFaults(0.5, 1, [ProbeFault.Hang], TimeSpan.Zero));
    }

    [Fact]
    public async Task An_unavailable_fault_answers_503()
    {
        consumer.ProbeFaults = new ProbeFaults(1, 1, [ProbeFault.Unavailable]);
        using var http = new HttpClient();

        using var response = await http.GetAsync(consumer.ProbeUri);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, consumer.ProbeFaults.InjectedOf(ProbeFault.Unavailable));
    }

    [Fact]
    public async Task A_garbage_fault_answers_200_with_a_body_that_is_not_the_contract()
    {
        consumer.ProbeFaults = new ProbeFaults(1, 1, [ProbeFault.Garbage]);
        using var http = new HttpClient();

        using var response = await http.GetAsync(consumer.ProbeUri);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(body).Dispose());
    }

    [Fact]
    public async Task A_hang_outlasts_the_probers_timeout_and_switching_faults_off_answers_truly_again()
    {
        consumer.ProbeFaults = new ProbeFaults(1, 1, [ProbeFault.Hang], TimeSpan.FromMinutes(1));

        // The hang waits on the consumer's (fake) clock, which does not move: only the client's timeout ends it.
        using (var impatient = new HttpClient { Timeout = TimeSpan.FromMilliseconds(300) })
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient.GetAsync(consumer.ProbeUri));
        }

        consumer.ProbeFaults = null;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var report = await http.GetFromJsonAsync<ConsumerReport>(consumer.ProbeUri);

        Assert.Equal(Fingerprint.Of("vk_probe-fault-test-key-value"), report!.LoadedFingerprint);
    }

    [Fact]
    public async Task A_hang_that_ends_gives_the_true_answer_late()
    {
        consumer.ProbeFaults = new ProbeFaults(1, 1, [ProbeFault.Hang], TimeSpan.FromSeconds(5));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        var answer = http.GetFromJsonAsync<ConsumerReport>(consumer.ProbeUri);
        await Eventually.UntilAsync(() => consumer.ProbeFaults.Answered == 1, "the probe request");
        await Eventually.UntilAsync(() => answer.IsCompleted, "the late answer", () => time.Advance(TimeSpan.FromSeconds(1)));

        Assert.Equal(Fingerprint.Of("vk_probe-fault-test-key-value"), (await answer)!.LoadedFingerprint);
    }
}
