using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Rotator.Configuration;
using Rotator.Consumers;
using Rotator.Consumers.Http;
using Rotator.Tests.Fakes;
using Rotator.Tests.Issuers.Http;

namespace Rotator.Tests.Consumers.Http;

public sealed class HttpConsumerProbeTests : IAsyncDisposable
{
    private const string NewPrint = "0123456789abcdef";
    private const string OldPrint = "fedcba9876543210";
    private static readonly IPAddress[] Replicas = [IPAddress.Parse("127.0.0.1"), IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3")];

    private readonly HttpClient http = new();
    private readonly ListLogger log = new();
    private readonly List<ScriptedServer> servers = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var server in servers)
        {
            await server.DisposeAsync();
        }

        http.Dispose();
    }

    /// <summary>One fake replica per address, all on the same port, each bound to its own loopback address.</summary>
    private async Task<int> StartReplicasAsync(params Func<RecordedRequest, Task<(int, string)>>?[] answers)
    {
        var port = 0;
        for (var i = 0; i < answers.Length; i++)
        {
            if (answers[i] is { } answer)
            {
                var server = await ScriptedServer.StartAsync(answer, Replicas[i], port);
                servers.Add(server);
                port = server.Port;
            }
            else if (port == 0)
            {
                // Reserve the port on the first address without answering on it.
                var placeholder = await ScriptedServer.StartAsync(_ => Task.FromResult((200, "")), IPAddress.Parse("127.0.0.9"));
                port = placeholder.Port;
                await placeholder.DisposeAsync();
            }
        }

        return port;
    }

    private static Func<RecordedRequest, Task<(int, string)>> Reports(string fingerprint) =>
        _ => Task.FromResult((200, $$"""{"fingerprint":"{{fingerprint}}","loadedFingerprint":"{{fingerprint}}","version":"v1"}"""));

    private static Func<RecordedRequest, Task<(int, string)>> Answers(int status, string body) => _ => Task.FromResult((status, body));

    private HttpConsumerProbe Probe(IAddressResolver resolver, TimeProvider? time = null) => new(http, resolver, log, time ?? TimeProvider.System);

    private static ProbeOptions Consumer(int port, int minAddresses = 1, string host = "billing.test") => new()
    {
        Url = new Uri($"http://{host}:{port}/rotator/key?who=probe"),
        MinAddresses = minAddresses,
        Timeout = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public async Task Every_address_is_asked_and_reports_its_fingerprint()
    {
        var port = await StartReplicasAsync(Reports(NewPrint), Reports(NewPrint), Reports(NewPrint));
        var probe = Consumer(port, minAddresses: 3);

        var observations = await Probe(new FakeResolver(Replicas)).PollAsync([probe], ProbeRole.Consumer, CancellationToken.None);

        Assert.Equal(["127.0.0.1", "127.0.0.2", "127.0.0.3"], observations.Select(o => o.Address).Order());
        Assert.All(observations, o =>
        {
            Assert.Null(o.Error);
            Assert.True(o.Answered);
            Assert.Equal([NewPrint], o.Fingerprints);
            Assert.Equal(probe.Url!.OriginalString, o.Target);
        });
    }

    [Fact]
    public async Task The_original_host_and_path_are_sent_to_every_address()
    {
        var port = await StartReplicasAsync(Reports(NewPrint), Reports(NewPrint));

        await Probe(new FakeResolver(Replicas[..2])).PollAsync([Consumer(port)], ProbeRole.Consumer, CancellationToken.None);

        var requests = servers.SelectMany(s => s.Requests).ToList();
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r =>
        {
            Assert.Equal("GET", r.Method);
            Assert.Equal($"billing.test:{port}", r.Header("Host"));
            Assert.Equal("/rotator/key?who=probe", r.PathAndQuery);
        });
    }

    [Fact]
    public async Task An_address_that_does_not_answer_is_an_error_for_that_address_only()
    {
        var port = await StartReplicasAsync(Reports(NewPrint), Reports(NewPrint), null);

        var observations = await Probe(new FakeResolver(Replicas)).PollAsync([Consumer(port)], ProbeRole.Consumer, CancellationToken.None);

        Assert.Equal(3, observations.Count);
        var silent = Assert.Single(observations, o => o.Error is not null);
        Assert.Equal("127.0.0.3", silent.Address);
        Assert.Empty(silent.Fingerprints);
        Assert.False(silent.Answered);
    }

    [Fact]
    public async Task An_address_that_hangs_times_out_into_an_error()
    {
        var port = await StartReplicasAsync(Reports(NewPrint));
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        servers[0].Handler = (_, context) =>
        {
            arrived.TrySetResult();
            return ScriptedServer.HangAsync(context);
        };
        var probe = Consumer(port);
        var time = new FakeTimeProvider();

        // The timeout runs on Rotator's clock: nothing gives up until that clock passes it.
        var polling = Probe(new FakeResolver(Replicas[..1]), time).PollAsync([probe], ProbeRole.Consumer, CancellationToken.None);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(probe.Timeout - TimeSpan.FromSeconds(1));
        Assert.False(polling.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        var observation = Assert.Single(await polling);

        Assert.Contains("did not answer within", observation.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fewer_addresses_than_minAddresses_is_an_error_and_the_others_are_still_asked()
    {
        var port = await StartReplicasAsync(Reports(NewPrint), Reports(NewPrint));

        var observations = await Probe(new FakeResolver(Replicas[..2])).PollAsync([Consumer(port, minAddresses: 3)], ProbeRole.Consumer, CancellationToken.None);

        Assert.Equal(3, observations.Count);
        var shortfall = Assert.Single(observations, o => o.Address == "");
        Assert.Equal("resolved to 2 address(es), fewer than minAddresses 3", shortfall.Error);
        Assert.Equal(2, observations.Count(o => o.Answered && o.Fingerprints.SequenceEqual([NewPrint])));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task Zero_addresses_is_never_everyone_switched(int minAddresses)
    {
        var observations = await Probe(new FakeResolver([])).PollAsync([Consumer(8080, minAddresses)], ProbeRole.Consumer, CancellationToken.None);

        var only = Assert.Single(observations);
        Assert.Equal("", only.Address);
        Assert.Equal("resolved to 0 address(es), fewer than minAddresses 1", only.Error);
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_is_an_error_not_an_exception()
    {
        var resolver = new FakeResolver([]) { Failure = new SocketException((int)SocketError.HostNotFound) };

        var only = Assert.Single(await Probe(resolver).PollAsync([Consumer(8080)], ProbeRole.Consumer, CancellationToken.None));

        Assert.StartsWith("resolved to 0 address(es), fewer than minAddresses 1", only.Error, StringComparison.Ordinal);
        Assert.Contains("HostNotFound", only.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ip_literal_is_asked_directly_without_the_resolver()
    {
        var port = await StartReplicasAsync(Reports(NewPrint));
        var probe = Consumer(port, host: "127.0.0.1");

        var only = Assert.Single(await Probe(new FakeResolver([]) { Failure = new InvalidOperationException("must not resolve") }).PollAsync([probe], ProbeRole.Consumer, CancellationToken.None));

        Assert.Equal("127.0.0.1", only.Address);
        Assert.Equal([NewPrint], only.Fingerprints);
        Assert.Equal($"127.0.0.1:{port}", servers[0].Requests.Single().Header("Host"));
    }

    [Theory]
    [InlineData("""{"fingerprint":"0123456789ABCDEF"}""")]
    [InlineData("""{"fingerprint":"0123456789abcde"}""")]
    [InlineData("""{"fingerprint":"0123456789abcdef0"}""")]
    [InlineData("""{"fingerprint":"0123456789abcdeg"}""")]
    [InlineData("""{"fingerprint":"0123456789abcdef\nINJECTED level=error"}""")]
    [InlineData("""{"fingerprint":"sk_live_the_key_itself"}""")]
    public async Task A_fingerprint_that_is_not_16_lowercase_hex_is_an_error_and_is_not_repeated(string body)
    {
        var port = await StartReplicasAsync(Answers(200, body));

        var only = Assert.Single(await Probe(new FakeResolver(Replicas[..1])).PollAsync([Consumer(port)], ProbeRole.Consumer, CancellationToken.None));

        Assert.Equal("reported a fingerprint that is not 16 lowercase hex characters", only.Error);
        Assert.Empty(only.Fingerprints);
        Assert.DoesNotContain(log.Lines, l => l.Contains("INJECTED", StringComparison.Ordinal) || l.Contains("sk_live", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(200, """{"fingerprint":null,"loadedFingerprint":"0123456789abcdef"}""", "has not sent a key yet")]
    [InlineData(200, """{"loadedFingerprint":"0123456789abcdef"}""", "has not sent a key yet")]
    [InlineData(200, "null", "answered null instead of a consumer report")]
    [InlineData(200, "<html>ok</html>", "answered something that is not a probe report (JSON)")]
    [InlineData(200, """{"fingerprint":42}""", "answered something that is not a probe report (JSON)")]
    [InlineData(503, """{"fingerprint":"0123456789abcdef"}""", "answered 503")]
    [InlineData(404, "", "answered 404")]
    public async Task Answers_that_are_not_a_report_are_errors(int status, string body, string error)
    {
        var port = await StartReplicasAsync(Answers(status, body));

        var only = Assert.Single(await Probe(new FakeResolver(Replicas[..1])).PollAsync([Consumer(port)], ProbeRole.Consumer, CancellationToken.None));

        Assert.Equal(error, only.Error);
        Assert.Empty(only.Fingerprints);
    }

    [Fact]
    public async Task An_answer_too_big_to_be_a_report_is_an_error()
    {
        var port = await StartReplicasAsync(Answers(200, $$"""{"fingerprint":"{{NewPrint}}","pad":"{{new string('x', 100_000)}}"}"""));

        var only = Assert.Single(await Probe(new FakeResolver(Replicas[..1])).PollAsync([Consumer(port)], ProbeRole.Consumer, CancellationToken.None));

        Assert.NotNull(only.Error);
    }

    [Fact]
    public async Task Replicas_on_different_keys_are_reported_as_they_are()
    {
        var port = await StartReplicasAsync(Reports(NewPrint), Reports(OldPrint));

        var observations = await Probe(new FakeResolver(Replicas[..2])).PollAsync([Consumer(port)], ProbeRole.Consumer, CancellationToken.None);

        Assert.Equal([NewPrint], observations.Single(o => o.Address == "127.0.0.1").Fingerprints);
        Assert.Equal([OldPrint], observations.Single(o => o.Address == "127.0.0.2").Fingerprints);
    }

    [Fact]
    public async Task Verifiers_report_every_fingerprint_they_accept()
    {
        var port = await StartReplicasAsync(
            Answers(200, $$"""{"accepts":["{{OldPrint}}","{{NewPrint}}"]}"""),
            Answers(200, """{"accepts":[]}"""),
            Answers(200, $$"""{"accepts":["{{NewPrint}}","NOT-HEX"]}"""));

        var observations = await Probe(new FakeResolver(Replicas)).PollAsync([Consumer(port)], ProbeRole.Verifier, CancellationToken.None);

        var both = observations.Single(o => o.Address == "127.0.0.1");
        Assert.Null(both.Error);
        Assert.Equal([OldPrint, NewPrint], both.Fingerprints);
        var none = observations.Single(o => o.Address == "127.0.0.2");
        Assert.Null(none.Error);
        Assert.Empty(none.Fingerprints);
        Assert.Equal("reported an accepted fingerprint that is not 16 lowercase hex characters", observations.Single(o => o.Address == "127.0.0.3").Error);
    }

    [Fact]
    public async Task A_verifier_answer_without_accepts_is_an_error()
    {
        var port = await StartReplicasAsync(Answers(200, $$"""{"fingerprint":"{{NewPrint}}"}"""));

        var only = Assert.Single(await Probe(new FakeResolver(Replicas[..1])).PollAsync([Consumer(port)], ProbeRole.Verifier, CancellationToken.None));

        Assert.Equal("answered without an accepts list", only.Error);
    }

    [Fact]
    public async Task Every_probe_is_polled_and_a_probe_without_a_url_is_an_error()
    {
        var port = await StartReplicasAsync(Reports(NewPrint));

        var observations = await Probe(new FakeResolver(Replicas[..1])).PollAsync(
            [Consumer(port, host: "billing.test"), Consumer(port, host: "search.test"), new ProbeOptions { Url = null }],
            ProbeRole.Consumer,
            CancellationToken.None);

        Assert.Equal(3, observations.Count);
        Assert.Equal(2, observations.Count(o => o.Answered));
        Assert.Equal("the probe has no absolute http(s) URL", observations.Single(o => o.Target == "").Error);
        Assert.Equal(["billing.test", "search.test"], servers[0].Requests.Select(r => r.Header("Host")!.Split(':')[0]).Order());
    }

    [Fact]
    public async Task Cancellation_by_the_caller_is_not_an_observation()
    {
        var port = await StartReplicasAsync(Reports(NewPrint));
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        servers[0].Handler = (_, context) =>
        {
            arrived.TrySetResult();
            return ScriptedServer.HangAsync(context);
        };
        using var cancel = new CancellationTokenSource();

        var poll = Probe(new FakeResolver(Replicas[..1])).PollAsync([Consumer(port)], ProbeRole.Consumer, cancel.Token);
        await arrived.Task;
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => poll);
    }

    [Fact]
    public async Task The_dns_resolver_returns_an_ip_literal_as_itself_and_resolves_localhost()
    {
        var resolver = new DnsAddressResolver();

        Assert.Equal([IPAddress.Parse("10.1.2.3")], await resolver.ResolveAsync("10.1.2.3", CancellationToken.None));
        Assert.Equal([IPAddress.IPv6Loopback], await resolver.ResolveAsync("[::1]", CancellationToken.None));
        Assert.Contains(await resolver.ResolveAsync("localhost", CancellationToken.None), IPAddress.IsLoopback);
    }

    private sealed class FakeResolver(IReadOnlyList<IPAddress> addresses) : IAddressResolver
    {
        public Exception? Failure { get; init; }

        public Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken) =>
            Failure is null ? Task.FromResult(addresses) : Task.FromException<IReadOnlyList<IPAddress>>(Failure);
    }
}
