using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Rotator.Client;
using Rotator.Demo;

namespace Rotator.Tests.Demo;

public sealed class SampleVendorTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider time = new(Start);
    private readonly List<string> directories = [];
    private SampleVendor vendor = null!;
    private VendorHttp api = null!;

    public async Task InitializeAsync()
    {
        vendor = await SampleVendor.StartAsync(new SampleVendorOptions(), time, null, CancellationToken.None);
        api = new VendorHttp(vendor);
    }

    public async Task DisposeAsync()
    {
        api.Dispose();
        await vendor.DisposeAsync();
        foreach (var directory in directories)
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_third_active_key_is_refused_with_409_naming_the_limit()
    {
        var token = vendor.CreateAccount("acme");
        await api.MintAsync("acme", token, "first");
        await api.MintAsync("acme", token, "second");

        using var third = await api.CreateAsync("acme", token, "third");

        Assert.Equal(HttpStatusCode.Conflict, third.StatusCode);
        using var error = JsonDocument.Parse(await third.Content.ReadAsStringAsync());
        Assert.Equal("active_key_limit", error.RootElement.GetProperty("error").GetString());
        Assert.Equal(2, error.RootElement.GetProperty("limit").GetInt32());
        Assert.Contains("2 active keys", error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, vendor.Keys("acme").Count);
    }

    [Fact]
    public async Task Revoking_frees_a_slot_for_a_new_key()
    {
        var token = vendor.CreateAccount("acme");
        var (first, _) = await api.MintAsync("acme", token, "first");
        await api.MintAsync("acme", token, "second");

        using var revoked = await api.RevokeAsync("acme", token, first);
        using var third = await api.CreateAsync("acme", token, "third");

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Created, third.StatusCode);
    }

    [Fact]
    public async Task A_revoked_key_is_refused_at_once()
    {
        var token = vendor.CreateAccount("acme");
        var (id, key) = await api.MintAsync("acme", token, "first");
        using (var before = await api.CreditsAsync(key))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
            using var credits = JsonDocument.Parse(await before.Content.ReadAsStringAsync());
            Assert.Equal(1000.0, credits.RootElement.GetProperty("email_credit").GetDouble());
            Assert.Equal(500.0, credits.RootElement.GetProperty("phone_credit").GetDouble());
        }

        time.Advance(TimeSpan.FromMinutes(5));
        using var revoke = await api.RevokeAsync("acme", token, id);
        using var after = await api.CreditsAsync(key);
        using var again = await api.RevokeAsync("acme", token, id);

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        var state = Assert.Single(vendor.Keys("acme"));
        Assert.True(state.Revoked);
        Assert.Equal(Start.AddMinutes(5), state.RevokedAt);
        Assert.Equal(1, state.AcceptedCalls);
        Assert.Equal(1, state.RejectedCalls);
        Assert.Equal(1, vendor.RejectedCalls);
    }

    [Fact]
    public async Task Unknown_or_missing_keys_are_refused_and_counted()
    {
        using var unknown = await api.CreditsAsync("vk_not-a-key");
        using var missing = await api.CreditsAsync(null);

        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(2, vendor.RejectedCalls);
    }

    [Fact]
    public async Task Deleting_an_unknown_id_answers_404()
    {
        var token = vendor.CreateAccount("acme");

        using var response = await api.RevokeAsync("acme", token, "key_nope");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_key_value_appears_only_in_the_create_response()
    {
        var directory = TempDirectory();
        await using var persisted = await SampleVendor.StartAsync(
            new SampleVendorOptions { DataDirectory = directory }, time, null, CancellationToken.None);
        using var client = new VendorHttp(persisted);
        var token = persisted.CreateAccount("acme");

        using var created = await client.CreateAsync("acme", token, "first");
        var createdBody = await created.Content.ReadAsStringAsync();
        using var createdJson = JsonDocument.Parse(createdBody);
        var key = createdJson.RootElement.GetProperty("key").GetString()!;
        var id = createdJson.RootElement.GetProperty("id").GetString()!;
        await client.MintAsync("acme", token, "second");
        using var refused = await client.CreateAsync("acme", token, "third");
        using var list = await client.ListAsync("acme", token);
        using var credits = await client.CreditsAsync(key);
        using var revoke = await client.RevokeAsync("acme", token, id);
        using var rejected = await client.CreditsAsync(key);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("vk_", key, StringComparison.Ordinal);
        Assert.StartsWith("key_", id, StringComparison.Ordinal);
        Assert.Equal("first", createdJson.RootElement.GetProperty("label").GetString());
        Assert.Equal(Start, createdJson.RootElement.GetProperty("createdAt").GetDateTimeOffset());
        foreach (var response in new[] { refused, list, credits, revoke, rejected })
        {
            Assert.DoesNotContain(key, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(key, string.Join(",", persisted.Keys("acme")), StringComparison.Ordinal);
        await persisted.StopAsync(CancellationToken.None);
        var file = await File.ReadAllTextAsync(Path.Combine(directory, SampleVendor.DataFileName));
        Assert.DoesNotContain(key, file, StringComparison.Ordinal);
        Assert.Contains(Fingerprint.Sha256Hex(key), file, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_are_long_random_and_have_the_fingerprint_of_their_value()
    {
        var token = vendor.CreateAccount("acme");
        var (_, first) = await api.MintAsync("acme", token, "first");
        var second = vendor.MintKeyDirect("acme", "second");

        Assert.NotEqual(first, second);
        foreach (var key in new[] { first, second })
        {
            Assert.Matches("^vk_[A-Za-z0-9_-]{43,}$", key);
        }

        Assert.Equal([Fingerprint.Of(first), Fingerprint.Of(second)], vendor.Keys("acme").Select(k => k.Fingerprint));
    }

    [Fact]
    public async Task Listing_follows_cursors_over_many_keys_and_lists_active_keys_only()
    {
        await using var big = await SampleVendor.StartAsync(
            new SampleVendorOptions { MaxActiveKeys = 9 }, time, null, CancellationToken.None);
        using var client = new VendorHttp(big);
        var token = big.CreateAccount("acme");
        var ids = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            ids.Add((await client.MintAsync("acme", token, $"key-{i}")).Id);
        }

        foreach (var index in new[] { 1, 4 })
        {
            using var revoked = await client.RevokeAsync("acme", token, ids[index]);
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }

        var expected = ids.Where((_, i) => i is not 1 and not 4).ToList();

        var (pages, seen) = await ReadAllPagesAsync(client, token, null);
        Assert.Equal(expected, seen);
        Assert.Equal(4, pages);

        var (bigPages, bigSeen) = await ReadAllPagesAsync(client, token, 3);
        Assert.Equal(expected, bigSeen);
        Assert.Equal(3, bigPages);
    }

    [Fact]
    public async Task A_revoke_between_pages_neither_skips_nor_repeats_a_key()
    {
        await using var big = await SampleVendor.StartAsync(
            new SampleVendorOptions { MaxActiveKeys = 5 }, time, null, CancellationToken.None);
        using var client = new VendorHttp(big);
        var token = big.CreateAccount("acme");
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await client.MintAsync("acme", token, $"key-{i}")).Id);
        }

        var (first, next) = await PageAsync(client, token, null, null);
        Assert.Equal(ids[..2], first);
        using (var revoke = await client.RevokeAsync("acme", token, ids[1]))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        var (second, _) = await PageAsync(client, token, next, null);

        Assert.Equal(ids[2..4], second);
    }

    [Fact]
    public async Task A_list_item_has_the_documented_fields()
    {
        var token = vendor.CreateAccount("acme");
        var (id, _) = await api.MintAsync("acme", token, "first");

        using var list = await api.ListAsync("acme", token);
        using var body = JsonDocument.Parse(await list.Content.ReadAsStringAsync());

        var item = Assert.Single(body.RootElement.GetProperty("items").EnumerateArray().ToList());
        Assert.Equal(id, item.GetProperty("id").GetString());
        Assert.Equal("first", item.GetProperty("label").GetString());
        Assert.Equal(Start, item.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, item.GetProperty("lastUsedAt").ValueKind);
        Assert.Equal("active", item.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("next").ValueKind);
    }

    [Theory]
    [InlineData("?cursor=bm9wZQ")]
    [InlineData("?cursor=!!")]
    [InlineData("?limit=0")]
    [InlineData("?limit=many")]
    public async Task A_bad_cursor_or_limit_answers_400(string query)
    {
        var token = vendor.CreateAccount("acme");

        using var response = await api.ListAsync("acme", token, query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Management_calls_need_the_accounts_own_token()
    {
        var token = vendor.CreateAccount("acme");
        var other = vendor.CreateAccount("globex");
        var (id, _) = await api.MintAsync("acme", token, "first");

        var attempts = new List<HttpResponseMessage>
        {
            await api.CreateAsync("acme", null, "x"),
            await api.CreateAsync("acme", "wrong", "x"),
            await api.CreateAsync("acme", other, "x"),
            await api.ListAsync("acme", null),
            await api.ListAsync("acme", other),
            await api.RevokeAsync("acme", null, id),
            await api.RevokeAsync("acme", other, id),
            await api.ListAsync("nobody", token),
        };

        Assert.All(attempts, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        attempts.ForEach(r => r.Dispose());
        Assert.Single(vendor.Keys("acme"), k => !k.Revoked);
        Assert.Empty(vendor.Keys("globex"));
    }

    [Fact]
    public void Creating_an_existing_account_returns_its_token()
    {
        var token = vendor.CreateAccount("acme");

        Assert.Equal(token, vendor.CreateAccount("acme"));
        Assert.NotEqual(token, vendor.CreateAccount("globex"));
    }

    [Fact]
    public async Task A_restarted_vendor_keeps_accounts_keys_and_revocations()
    {
        var directory = TempDirectory();
        var options = new SampleVendorOptions { DataDirectory = directory };
        string token, kept, revoked;
        await using (var first = await SampleVendor.StartAsync(options, time, null, CancellationToken.None))
        {
            using var client = new VendorHttp(first);
            token = first.CreateAccount("acme");
            kept = first.MintKeyDirect("acme", "kept");
            var gone = await client.MintAsync("acme", token, "gone");
            revoked = gone.Key;
            time.Advance(TimeSpan.FromMinutes(1));
            using var used = await client.CreditsAsync(kept);
            using var revoke = await client.RevokeAsync("acme", token, gone.Id);
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        await using var second = await SampleVendor.StartAsync(options, time, null, CancellationToken.None);
        using var again = new VendorHttp(second);

        Assert.Equal(token, second.CreateAccount("acme"));
        using var keptCall = await again.CreditsAsync(kept);
        using var revokedCall = await again.CreditsAsync(revoked);
        Assert.Equal(HttpStatusCode.OK, keptCall.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, revokedCall.StatusCode);
        var keys = second.Keys("acme");
        Assert.Equal(["kept", "gone"], keys.Select(k => k.Label));
        Assert.Equal(Start.AddMinutes(1), keys[0].LastUsedAt);
        Assert.Equal(2, keys[0].AcceptedCalls);
        Assert.True(keys[1].Revoked);
        Assert.Equal(Start.AddMinutes(1), keys[1].RevokedAt);
        var (_, listed) = await ReadAllPagesAsync(again, token, null);
        Assert.Equal([keys[0].Id], listed);
        Assert.False(File.Exists(Path.Combine(directory, SampleVendor.DataFileName + ".tmp")));
    }

    [Fact]
    public async Task A_data_call_records_last_use_on_the_vendors_clock_and_dates_its_responses()
    {
        var token = vendor.CreateAccount("acme");
        var (_, key) = await api.MintAsync("acme", token, "first");
        time.Advance(TimeSpan.FromHours(3));

        using var call = await api.CreditsAsync(key);
        using var list = await api.ListAsync("acme", token);
        using var body = JsonDocument.Parse(await list.Content.ReadAsStringAsync());

        var now = Start.AddHours(3);
        Assert.Equal(now, call.Headers.Date);
        Assert.Equal(now, list.Headers.Date);
        Assert.Equal(now, Assert.Single(vendor.Keys("acme")).LastUsedAt);
        Assert.Equal(now, body.RootElement.GetProperty("items")[0].GetProperty("lastUsedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task An_unavailable_create_commits_nothing()
    {
        var token = vendor.CreateAccount("acme");
        vendor.Faults.Inject(VendorOperation.Create, VendorFault.Unavailable);

        using var failed = await api.CreateAsync("acme", token, "first");
        using var next = await api.CreateAsync("acme", token, "first");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal(HttpStatusCode.Created, next.StatusCode);
        Assert.Single(vendor.Keys("acme"));
    }

    [Theory]
    [InlineData(VendorFault.CommitThenFail)]
    [InlineData(VendorFault.CommitThenAbort)]
    [InlineData(VendorFault.Garbage)]
    public async Task A_create_can_commit_and_still_lose_its_answer(VendorFault fault)
    {
        var token = vendor.CreateAccount("acme");
        vendor.Faults.Inject(VendorOperation.Create, fault);

        string body;
        try
        {
            using var response = await api.CreateAsync("acme", token, "maybe");
            Assert.Equal(
                fault == VendorFault.Garbage ? HttpStatusCode.Created : HttpStatusCode.InternalServerError,
                response.StatusCode);
            body = await response.Content.ReadAsStringAsync();
            Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(body).Dispose());
        }
        catch (HttpRequestException) when (fault == VendorFault.CommitThenAbort)
        {
            // The connection was cut: the answer is lost.
        }

        var minted = Assert.Single(vendor.Keys("acme"));
        Assert.Equal("maybe", minted.Label);
        using var list = await api.ListAsync("acme", token);
        Assert.Contains(minted.Id, await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revoke_can_commit_and_answer_500()
    {
        var token = vendor.CreateAccount("acme");
        var (id, key) = await api.MintAsync("acme", token, "first");
        vendor.Faults.Inject(VendorOperation.Revoke, VendorFault.CommitThenFail);

        using var response = await api.RevokeAsync("acme", token, id);
        using var call = await api.CreditsAsync(key);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, call.StatusCode);
        Assert.True(Assert.Single(vendor.Keys("acme")).Revoked);
    }

    [Fact]
    public async Task Faults_count_down_and_a_list_can_fail_too()
    {
        var token = vendor.CreateAccount("acme");
        vendor.Faults.Inject(VendorOperation.List, VendorFault.Unavailable, count: 2);

        using var first = await api.ListAsync("acme", token);
        using var second = await api.ListAsync("acme", token);
        using var third = await api.ListAsync("acme", token);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal(0, vendor.Faults.Pending(VendorOperation.List));
    }

    [Fact]
    public async Task The_after_commit_hook_sees_each_write_before_its_response()
    {
        var token = vendor.CreateAccount("acme");
        var writes = new List<(VendorWrite Write, int KeysAtThatMoment, bool RevokedAtThatMoment)>();
        vendor.AfterCommit = (write, _) =>
        {
            var keys = vendor.Keys(write.Account);
            writes.Add((write, keys.Count, keys.Single(k => k.Id == write.KeyId).Revoked));
            return Task.CompletedTask;
        };

        var (id, _) = await api.MintAsync("acme", token, "first");
        using var revoke = await api.RevokeAsync("acme", token, id);

        Assert.Equal(
            [
                (new VendorWrite(VendorOperation.Create, "acme", id, "first"), 1, false),
                (new VendorWrite(VendorOperation.Revoke, "acme", id, "first"), 1, true),
            ],
            writes);
    }

    [Fact]
    public async Task A_delayed_vendor_answers_after_its_clock_moves()
    {
        var token = vendor.CreateAccount("acme");
        vendor.Faults.Delay = TimeSpan.FromSeconds(30);

        var pending = api.ListAsync("acme", token);
        await Eventually.UntilAsync(() => pending.IsCompleted || time.GetUtcNow() > Start.AddMinutes(1), "the delayed answer",
            () => time.Advance(TimeSpan.FromSeconds(1)));
        using var response = await pending;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(time.GetUtcNow() >= Start.AddSeconds(30), "answered before its delay");
    }

    [Fact]
    public void Minting_directly_keeps_the_limit()
    {
        vendor.MintKeyDirect("acme", "first");
        vendor.MintKeyDirect("acme", "second");

        Assert.Throws<InvalidOperationException>(() => vendor.MintKeyDirect("acme", "third"));
    }

    private static async Task<(int Pages, List<string> Ids)> ReadAllPagesAsync(VendorHttp client, string token, int? limit)
    {
        var ids = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var (page, next) = await PageAsync(client, token, cursor, limit);
            pages++;
            ids.AddRange(page);
            cursor = next;
            Assert.True(pages < 100, "the cursor never ended");
        }
        while (cursor is not null);

        return (pages, ids);
    }

    private static async Task<(List<string> Ids, string? Next)> PageAsync(VendorHttp client, string token, string? cursor, int? limit)
    {
        var query = new List<string>();
        if (cursor is not null)
        {
            query.Add("cursor=" + Uri.EscapeDataString(cursor));
        }

        if (limit is { } l)
        {
            query.Add("limit=" + l.ToString(CultureInfo.InvariantCulture));
        }

        using var response = await client.ListAsync("acme", token, query.Count == 0 ? null : "?" + string.Join("&", query));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var ids = body.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList();
        Assert.True(ids.Count <= (limit ?? 2), "a page is longer than its limit");
        return (ids, body.RootElement.GetProperty("next").GetString());
    }

    private string TempDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rotator-vendor-" + Guid.NewGuid().ToString("N"));
        directories.Add(directory);
        return directory;
    }
}
