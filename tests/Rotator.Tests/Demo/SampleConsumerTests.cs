using System.Net.Http.Json;
using System.Text.Json;
using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Rotator.Client;
using Rotator.Demo;

using Rotator.Tests.Fakes;

namespace Rotator.Tests.Demo;

public sealed class SampleConsumerTests : IAsyncLifetime
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Call = TimeSpan.FromHours(1);
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeSecret secret = new();
    private readonly List<SampleConsumer> consumers = [];
    private SampleVendor vendor = null!;
    private VendorHttp api = null!;
    private string token = null!;

    public async Task InitializeAsync()
    {
        // The vendor keeps real time: only the consumers' loops are driven by the fake clock.
        vendor = await SampleVendor.StartAsync(new SampleVendorOptions(), TimeProvider.System, null, CancellationToken.None);
        api = new VendorHttp(vendor);
        token = vendor.CreateAccount("acme");
    }

    public async Task DisposeAsync()
    {
        foreach (var consumer in consumers)
        {
            await consumer.DisposeAsync();
        }

        api.Dispose();
        await vendor.DisposeAsync();
    }

    [Fact]
    public async Task It_reports_the_key_it_last_sent_apart_from_the_key_it_holds()
    {
        var (_, first) = await api.MintAsync("acme", token, "first");
        secret.Set(first);
        var consumer = await StartAsync(time);
        await Eventually.UntilAsync(() => consumer.SentFingerprint is not null, "the first call");
        Assert.Equal(new ConsumerReport(Fingerprint.Of(first), Fingerprint.Of(first), "v1"), await ProbeAsync(consumer));

        var (_, second) = await api.MintAsync("acme", token, "second");
        secret.Set(second);
        time.Advance(Refresh);
        await Eventually.UntilAsync(() => consumer.LoadedFingerprint == Fingerprint.Of(second), "the refresh");

        // Refreshed but not called yet: it still last sent the old key.
        Assert.Equal(new ConsumerReport(Fingerprint.Of(first), Fingerprint.Of(second), "v2"), await ProbeAsync(consumer));

        await Eventually.UntilAsync(() => consumer.SentFingerprint == Fingerprint.Of(second), "a call with the new key",
            () => time.Advance(Call));
        Assert.Equal(new ConsumerReport(Fingerprint.Of(second), Fingerprint.Of(second), "v2"), await ProbeAsync(consumer));
        Assert.Equal(0, consumer.FailedRequests);
    }

    [Fact]
    public async Task The_probe_answers_the_documented_json_and_nulls_before_anything_was_sent()
    {
        secret.FailWith(new InvalidOperationException("vault down"));
        var consumer = await StartAsync(time);

        using var http = new HttpClient();
        var raw = await http.GetStringAsync(consumer.ProbeUri);
        using var json = JsonDocument.Parse(raw);

        Assert.Equal(SampleConsumer.ProbePath, consumer.ProbeUri.AbsolutePath);
        Assert.Equal(["fingerprint", "loadedFingerprint", "version"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.All(json.RootElement.EnumerateObject(), p => Assert.Equal(JsonValueKind.Null, p.Value.ValueKind));
        Assert.Equal(0, consumer.Requests);
    }

    [Fact]
    public async Task A_failed_vault_read_keeps_the_old_key_and_is_retried_at_the_next_refresh()
    {
        var (_, first) = await api.MintAsync("acme", token, "first");
        secret.Set(first);
        var consumer = await StartAsync(time);
        secret.FailWith(new HttpRequestException("vault unavailable"));

        // The refresh loop may not have started its timer yet: keep the clock moving until the read comes.
        await Eventually.UntilAsync(() => consumer.VaultReads >= 2, "the failed refresh", step: () => time.Advance(Refresh));
        Assert.Equal(Fingerprint.Of(first), consumer.LoadedFingerprint);
        Assert.True(await consumer.CallOnceAsync(CancellationToken.None));

        var (_, second) = await api.MintAsync("acme", token, "second");
        secret.Set(second);
        secret.FailWith(null);
        await Eventually.UntilAsync(() => consumer.LoadedFingerprint == Fingerprint.Of(second), "the next refresh",
            () => time.Advance(Refresh));
        Assert.Equal(0, consumer.FailedRequests);
    }

    [Fact]
    public async Task A_401_re_reads_the_vault_once_and_retries_with_the_new_key_but_counts_as_a_failure()
    {
        var (firstId, first) = await api.MintAsync("acme", token, "first");
        secret.Set(first);
        var consumer = await StartAsync(time);
        await FirstCallAnsweredAsync(consumer);

        var (_, second) = await api.MintAsync("acme", token, "second");
        secret.Set(second);
        using (var revoke = await api.RevokeAsync("acme", token, firstId))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, revoke.StatusCode);
        }

        var readsBefore = consumer.VaultReads;
        var succeeded = await consumer.CallOnceAsync(CancellationToken.None);

        Assert.True(succeeded);
        Assert.Equal(3, consumer.Requests);
        Assert.Equal(1, consumer.FailedRequests);
        Assert.Equal(readsBefore + 1, consumer.VaultReads);
        Assert.Equal(Fingerprint.Of(second), consumer.LoadedFingerprint);
        Assert.Equal(Fingerprint.Of(second), consumer.SentFingerprint);
        var keys = vendor.Keys("acme");
        Assert.Equal((1, 1), (keys[0].AcceptedCalls, keys[0].RejectedCalls));
        Assert.Equal((1, 0), (keys[1].AcceptedCalls, keys[1].RejectedCalls));
    }

    [Fact]
    public async Task A_401_with_no_newer_key_in_the_vault_is_not_retried()
    {
        var (firstId, first) = await api.MintAsync("acme", token, "first");
        secret.Set(first);
        var consumer = await StartAsync(time);
        await FirstCallAnsweredAsync(consumer);
        using (await api.RevokeAsync("acme", token, firstId))
        {
        }

        Assert.False(await consumer.CallOnceAsync(CancellationToken.None));
        Assert.Equal(2, consumer.Requests);
        Assert.Equal(1, consumer.FailedRequests);
    }

    [Fact]
    public async Task A_consumer_that_never_refreshes_keeps_its_first_key()
    {
        var (firstId, first) = await api.MintAsync("acme", token, "first");
        secret.Set(first);
        var consumer = await StartAsync(time, neverRefresh: true);
        await FirstCallAnsweredAsync(consumer);
        var (_, second) = await api.MintAsync("acme", token, "second");
        secret.Set(second);

        for (var i = 0; i < 10; i++)
        {
            time.Advance(Refresh);
        }

        using (await api.RevokeAsync("acme", token, firstId))
        {
        }

        Assert.False(await consumer.CallOnceAsync(CancellationToken.None));
        Assert.Equal(1, consumer.VaultReads);
        Assert.Equal(1, secret.Reads);
        Assert.Equal(Fingerprint.Of(first), consumer.LoadedFingerprint);
        Assert.Equal(Fingerprint.Of(first), consumer.SentFingerprint);
        Assert.Equal(1, consumer.FailedRequests);
    }

    [Fact]
    public async Task Replicas_with_their_own_intervals_switch_without_a_failed_request()
    {
        var (firstId, first) = await api.MintAsync("acme", token, "first");
        secret.Set(first);
        var fast = await StartAsync(TimeProvider.System, refresh: TimeSpan.FromMilliseconds(50), call: TimeSpan.FromMilliseconds(10));
        var slow = await StartAsync(TimeProvider.System, refresh: TimeSpan.FromMilliseconds(400), call: TimeSpan.FromMilliseconds(10));
        await Eventually.UntilAsync(() => fast.Requests > 0 && slow.Requests > 0, "both replicas calling");

        var (_, second) = await api.MintAsync("acme", token, "second");
        secret.Set(second);
        await Eventually.UntilAsync(
            () => fast.SentFingerprint == Fingerprint.Of(second) && slow.SentFingerprint == Fingerprint.Of(second),
            "both replicas sending the new key");
        using (var revoke = await api.RevokeAsync("acme", token, firstId))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, revoke.StatusCode);
        }

        var after = fast.Requests + slow.Requests;
        await Eventually.UntilAsync(() => fast.Requests + slow.Requests > after + 10, "more calls after the revoke");

        Assert.Equal(0, fast.FailedRequests + slow.FailedRequests);
        Assert.Equal(0, vendor.RejectedCalls);
    }

    [Fact]
    public async Task Stopping_ends_the_loops_and_the_probe()
    {
        var (_, first) = await api.MintAsync("acme", token, "first");
        secret.Set(first);
        var consumer = await StartAsync(TimeProvider.System, call: TimeSpan.FromMilliseconds(10));
        await Eventually.UntilAsync(() => consumer.Requests > 2, "a few calls");

        await consumer.StopAsync(CancellationToken.None);
        var stopped = consumer.Requests;
        await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System);

        Assert.Equal(stopped, consumer.Requests);
        using var http = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync(consumer.ProbeUri));
    }

    [Fact]
    public async Task Neither_the_vendor_nor_a_consumer_logs_a_key()
    {
        using var logs = new ListLoggerFactory();
        await using var logged = await SampleVendor.StartAsync(new SampleVendorOptions(), TimeProvider.System, logs, CancellationToken.None);
        using var client = new VendorHttp(logged);
        var account = logged.CreateAccount("acme");
        var first = await client.MintAsync("acme", account, "first");
        var second = logged.MintKeyDirect("acme", "second");
        secret.Set(first.Key);
        await using var consumer = new SampleConsumer(
            "logged", secret.ReadLatestAsync, logged.BaseUri, Refresh, Call, time, logs.CreateLogger("consumer"));
        await consumer.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => logged.AcceptedCalls == 1, "the first call");
        using (await client.CreateAsync("acme", account, "refused"))
        using (await client.RevokeAsync("acme", account, first.Id))
        {
        }

        secret.Set(second);
        Assert.True(await consumer.CallOnceAsync(CancellationToken.None));
        secret.FailWith(new InvalidOperationException($"a message quoting {second}"));
        Assert.False(await consumer.RefreshAsync(CancellationToken.None));
        await consumer.StopAsync(CancellationToken.None);

        Assert.NotEmpty(logs.Lines);
        Assert.Contains(logs.Lines, l => l.Contains(Fingerprint.Of(first.Key), StringComparison.Ordinal));
        foreach (var key in new[] { first.Key, second, account })
        {
            Assert.DoesNotContain(logs.Lines, l => l.Contains(key, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_consumer_reading_through_a_secret_client_survives_an_unreachable_vault()
    {
        var options = new SecretClientOptions { DisableChallengeResourceVerification = true };
        options.Retry.MaxRetries = 0;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(5);
        // Port 1 on loopback: nothing listens there, so every read fails at once.
        var client = new SecretClient(new Uri("https://127.0.0.1:1/"), new StaticCredential(), options);
        await using var consumer = new SampleConsumer(
            "unreachable", client, "vendor-key", vendor.BaseUri, Refresh, Call, time, NullLogger.Instance);

        await consumer.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => consumer.VaultReads >= 2, "a second read at the next refresh", step: () => time.Advance(Refresh));

        Assert.Null(consumer.LoadedFingerprint);
        Assert.Equal(0, consumer.Requests);
        Assert.Equal(new ConsumerReport(null, null, null), await ProbeAsync(consumer));
    }

    [Fact]
    public async Task Run_serves_until_cancelled()
    {
        var (_, first) = await api.MintAsync("acme", token, "first");
        secret.Set(first);
        await using var consumer = new SampleConsumer(
            "run", secret.ReadLatestAsync, vendor.BaseUri, Refresh, TimeSpan.FromMilliseconds(10), TimeProvider.System, NullLogger.Instance);
        using var cts = new CancellationTokenSource();

        var running = consumer.RunAsync(cts.Token);
        await Eventually.UntilAsync(() => consumer.Requests > 2, "a few calls");
        await cts.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10), TimeProvider.System);

        Assert.Equal(0, consumer.FailedRequests);
    }

    private async Task<SampleConsumer> StartAsync(TimeProvider clock, bool neverRefresh = false, TimeSpan? refresh = null, TimeSpan? call = null)
    {
        var consumer = new SampleConsumer(
            $"replica-{consumers.Count}",
            secret.ReadLatestAsync,
            vendor.BaseUri,
            refresh ?? Refresh,
            call ?? Call,
            clock,
            NullLogger.Instance)
        {
            NeverRefresh = neverRefresh,
        };
        consumers.Add(consumer);
        await consumer.StartAsync(CancellationToken.None);
        return consumer;
    }

    /// <summary>The call loop's first call has reached the vendor, so revoking now cannot fail it.</summary>
    private async Task FirstCallAnsweredAsync(SampleConsumer consumer)
    {
        await Eventually.UntilAsync(() => consumer.Requests == 1 && vendor.AcceptedCalls == 1, "the first call");
    }

    private sealed class StaticCredential : TokenCredential
    {
        private static readonly AccessToken Token = new("test-token", new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero));

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => Token;

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(Token);
    }

    private static async Task<ConsumerReport?> ProbeAsync(SampleConsumer consumer)
    {
        using var http = new HttpClient();
        return await http.GetFromJsonAsync<ConsumerReport>(consumer.ProbeUri);
    }
}
