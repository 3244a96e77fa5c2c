using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Rotator.Configuration;
using Rotator.Issuers;
using Rotator.Issuers.Http;
using Rotator.Tests.Fakes;

namespace Rotator.Tests.Issuers.Http;

public sealed class HttpKeyIssuerTests : IDisposable
{
    private const string Credential = "mgmt-credential-1";
    private readonly HttpClient http = new();
    private readonly ListLogger log = new();

    public void Dispose() => http.Dispose();

    internal static HttpIssuerOptions Options(Uri serverUrl)
    {
        var options = new HttpIssuerOptions
        {
            // No trailing slash on purpose: templates extend the base path all the same.
            BaseUrl = new Uri(serverUrl, "v1"),
            Account = "acct-1",
            Timeout = TimeSpan.FromHours(2),
        };
        options.List.Url = "/accounts/{account}/keys";
        options.Create.Url = "accounts/{account}/keys";
        options.Create.Body = """{"label":"{label}","account":"{account}"}""";
        options.Revoke.Url = "accounts/{account}/keys/{id}";
        return options;
    }

    private HttpKeyIssuer Issuer(ScriptedServer server, Action<HttpIssuerOptions>? configure = null, TimeProvider? time = null)
    {
        var options = Options(server.BaseUrl);
        configure?.Invoke(options);
        return new HttpKeyIssuer(options, "billing", http, _ => Task.FromResult(Credential), time ?? new RecordingTimeProvider(), log);
    }

    private static string Items(params string[] ids) =>
        JsonSerializer.Serialize(new { items = ids.Select(id => new { id, label = "l-" + id }) });

    // ---- list ----

    [Fact]
    public async Task List_reads_every_field_through_the_pointers_and_skips_inactive_keys()
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((200, """
            {"data": {"keys": [
              {"meta": {"key/id": "k1"}, "name": "one", "created": "2024-05-01T12:00:00Z", "used": 1714564800, "state": "active"},
              {"meta": {"key/id": 42}, "name": "two", "created": 1714564800, "used": null, "state": true},
              {"meta": {"key/id": "k3"}, "state": "revoked"},
              {"meta": {"key/id": "k4"}, "state": false},
              {"meta": {"key/id": "k5"}, "state": "Inactive"},
              {"meta": {"key/id": "k6"}, "state": "disabled"},
              {"meta": {"key/id": "k7"}}
            ]}}
            """)));
        var issuer = Issuer(server, o =>
        {
            o.Pointers.Items = "/data/keys";
            o.Pointers.Id = "/meta/key~1id";
            o.Pointers.Label = "/name";
            o.Pointers.Created = "/created";
            o.Pointers.LastUsed = "/used";
            o.Pointers.Status = "/state";
        });

        var keys = await issuer.ListAsync(CancellationToken.None);

        var at = DateTimeOffset.FromUnixTimeSeconds(1714564800);
        Assert.Equal(
            [new IssuerKey("k1", "one", at, at), new IssuerKey("42", "two", at, null), new IssuerKey("k7", null, null, null)],
            keys);
        var request = Assert.Single(server.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/v1/accounts/acct-1/keys", request.PathAndQuery);
        Assert.Equal($"Bearer {Credential}", request.Header("Authorization"));
    }

    [Fact]
    public async Task List_follows_next_links_relative_and_absolute_until_there_is_none()
    {
        ScriptedServer? self = null;
        await using var server = await ScriptedServer.StartAsync(request => Task.FromResult(request.PathAndQuery switch
        {
            "/v1/accounts/acct-1/keys" => (200, """{"items":[{"id":"a"}],"links":{"next":"keys?page=2"}}"""),
            "/v1/accounts/acct-1/keys?page=2" => (200, $$$"""{"items":[{"id":"b"}],"links":{"next":"{{{self!.BaseUrl}}}v1/accounts/acct-1/keys?page=3"}}"""),
            "/v1/accounts/acct-1/keys?page=3" => (200, """{"items":[{"id":"c"}],"links":{"next":null}}"""),
            _ => (500, ""),
        }));
        self = server;
        var issuer = Issuer(server, o =>
        {
            o.Pagination.Style = PaginationStyle.NextUrl;
            o.Pagination.Next = "/links/next";
        });

        var keys = await issuer.ListAsync(CancellationToken.None);

        Assert.Equal(["a", "b", "c"], keys.Select(k => k.Id));
        Assert.All(server.Requests, r => Assert.Equal($"Bearer {Credential}", r.Header("Authorization")));
    }

    [Fact]
    public async Task List_sends_the_cursor_back_as_a_query_parameter_until_it_is_empty()
    {
        await using var server = await ScriptedServer.StartAsync(request => Task.FromResult(request.PathAndQuery switch
        {
            "/v1/accounts/acct-1/keys?limit=2" => (200, """{"items":[{"id":"a"}],"next":"c 1&x=y"}"""),
            "/v1/accounts/acct-1/keys?limit=2&after=c%201%26x%3Dy" => (200, """{"items":[{"id":"b"}],"next":42}"""),
            "/v1/accounts/acct-1/keys?limit=2&after=42" => (200, """{"items":[{"id":"c"}],"next":""}"""),
            _ => (500, ""),
        }));
        var issuer = Issuer(server, o =>
        {
            o.List.Url = "accounts/{account}/keys?limit=2";
            o.Pagination.Style = PaginationStyle.Cursor;
            o.Pagination.CursorParameter = "after";
        });

        var keys = await issuer.ListAsync(CancellationToken.None);

        Assert.Equal(["a", "b", "c"], keys.Select(k => k.Id));
        Assert.Equal(3, server.Requests.Count);
    }

    [Theory]
    [InlineData(PaginationStyle.NextUrl)]
    [InlineData(PaginationStyle.Cursor)]
    public async Task List_stops_at_MaxPages_and_names_the_limit(PaginationStyle style)
    {
        var page = 0;
        await using var server = await ScriptedServer.StartAsync(_ =>
            Task.FromResult((200, $$"""{"items":[{"id":"k{{Interlocked.Increment(ref page)}}"}],"next":"keys?p={{page}}"}""")));
        var issuer = Issuer(server, o =>
        {
            o.Pagination.Style = style;
            o.Pagination.MaxPages = 3;
        });

        var error = await Assert.ThrowsAsync<IssuerException>(() => issuer.ListAsync(CancellationToken.None));

        Assert.Equal(IssuerFailure.Permanent, error.Failure);
        Assert.Contains("3", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxPages", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task List_ignores_the_next_pointer_when_pagination_is_none()
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((200, """{"items":[{"id":"a"}],"next":"keys?p=2"}""")));

        var keys = await Issuer(server).ListAsync(CancellationToken.None);

        Assert.Single(keys);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task List_refuses_a_next_link_to_another_host_and_sends_it_no_credential()
    {
        await using var elsewhere = await ScriptedServer.StartAsync(_ => Task.FromResult((200, """{"items":[]}""")));
        var next = new Uri(elsewhere.BaseUrl, "steal?page=2");
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((200, $$"""{"items":[{"id":"a"}],"next":"{{next}}"}""")));
        // Same address, other port: another authority all the same.
        var issuer = Issuer(server, o => o.Pagination.Style = PaginationStyle.NextUrl);

        var error = await Assert.ThrowsAsync<IssuerException>(() => issuer.ListAsync(CancellationToken.None));

        Assert.Equal(IssuerFailure.Permanent, error.Failure);
        Assert.Empty(elsewhere.Requests);
    }

    [Theory]
    [InlineData(500, IssuerFailure.Transient)]
    [InlineData(502, IssuerFailure.Transient)]
    [InlineData(503, IssuerFailure.Transient)]
    [InlineData(408, IssuerFailure.Transient)]
    [InlineData(429, IssuerFailure.Transient)]
    [InlineData(400, IssuerFailure.Permanent)]
    [InlineData(401, IssuerFailure.Permanent)]
    [InlineData(403, IssuerFailure.Permanent)]
    [InlineData(404, IssuerFailure.Permanent)]
    public async Task List_maps_status_codes_to_failures(int status, IssuerFailure expected)
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((status, """{"error":"nope"}""")));

        var error = await Assert.ThrowsAsync<IssuerException>(() => Issuer(server).ListAsync(CancellationToken.None));

        Assert.Equal(expected, error.Failure);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Contains("billing", error.Message, StringComparison.Ordinal);
        Assert.Contains("list GET", error.Message, StringComparison.Ordinal);
        Assert.Contains("/v1/accounts/acct-1/keys", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"data":[]}""", IssuerFailure.Permanent)]
    [InlineData("""{"items":{"id":"a"}}""", IssuerFailure.Permanent)]
    [InlineData("""{"items":[{"name":"no id"}]}""", IssuerFailure.Permanent)]
    [InlineData("<html>gateway</html>", IssuerFailure.Transient)]
    public async Task List_answers_that_do_not_fit_the_pointers_fail(string body, IssuerFailure expected)
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((200, body)));

        var error = await Assert.ThrowsAsync<IssuerException>(() => Issuer(server).ListAsync(CancellationToken.None));

        Assert.Equal(expected, error.Failure);
    }

    [Fact]
    public async Task List_drops_the_query_string_from_messages()
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((503, "")));
        var issuer = Issuer(server, o => o.List.Url = "keys?token=query-secret");

        var error = await Assert.ThrowsAsync<IssuerException>(() => issuer.ListAsync(CancellationToken.None));

        Assert.DoesNotContain("query-secret", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Lines, line => line.Contains("query-secret", StringComparison.Ordinal));
    }

    // ---- create ----

    [Fact]
    public async Task Create_returns_the_minted_key_and_sends_the_label_as_json()
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((201, """{"id":"key_9","key":"sk_new_value"}""")));

        var minted = await Issuer(server).CreateAsync("rotation-1", CancellationToken.None);

        Assert.Equal(new MintedKey("key_9", "sk_new_value"), minted);
        Assert.DoesNotContain("sk_new_value", minted.ToString(), StringComparison.Ordinal);
        var request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1/accounts/acct-1/keys", request.PathAndQuery);
        Assert.StartsWith("application/json", request.ContentType, StringComparison.Ordinal);
        Assert.Equal($"Bearer {Credential}", request.Header("Authorization"));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("rotation-1", body.RootElement.GetProperty("label").GetString());
        Assert.Equal("acct-1", body.RootElement.GetProperty("account").GetString());
    }

    [Fact]
    public async Task Create_accepts_a_numeric_id_and_a_nested_key()
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((200, """{"data":{"id":7,"secret":{"value":"v"}}}""")));
        var issuer = Issuer(server, o =>
        {
            o.Pointers.Id = "/data/id";
            o.Pointers.Key = "/data/secret/value";
        });

        var minted = await issuer.CreateAsync("r", CancellationToken.None);

        Assert.Equal(new MintedKey("7", "v"), minted);
    }

    [Theory]
    [InlineData(500, IssuerFailure.MaybeMinted)]
    [InlineData(502, IssuerFailure.MaybeMinted)]
    [InlineData(503, IssuerFailure.MaybeMinted)]
    [InlineData(504, IssuerFailure.MaybeMinted)]
    [InlineData(408, IssuerFailure.MaybeMinted)]
    [InlineData(429, IssuerFailure.MaybeMinted)]
    [InlineData(400, IssuerFailure.Permanent)]
    [InlineData(401, IssuerFailure.Permanent)]
    [InlineData(403, IssuerFailure.Permanent)]
    [InlineData(404, IssuerFailure.Permanent)]
    [InlineData(409, IssuerFailure.Permanent)]
    [InlineData(422, IssuerFailure.Permanent)]
    public async Task Create_maps_status_codes_to_failures_and_never_retries(int status, IssuerFailure expected)
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((status, """{"error":"no"}""")));

        var error = await Assert.ThrowsAsync<IssuerException>(() => Issuer(server).CreateAsync("r", CancellationToken.None));

        Assert.Equal(expected, error.Failure);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Contains("create POST", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Theory]
    [InlineData("")]
    [InlineData("this is not json")]
    [InlineData("{}")]
    [InlineData("""{"id":"key_1"}""")]
    [InlineData("""{"id":"key_1","key":""}""")]
    [InlineData("""{"id":"key_1","key":12}""")]
    [InlineData("""{"key":"sk_value"}""")]
    [InlineData("""{"id":"sk_value","key":"sk_value"}""")]
    [InlineData("[1,2]")]
    public async Task Create_2xx_that_cannot_be_read_is_maybe_minted(string body)
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((201, body)));

        var error = await Assert.ThrowsAsync<IssuerException>(() => Issuer(server).CreateAsync("r", CancellationToken.None));

        Assert.Equal(IssuerFailure.MaybeMinted, error.Failure);
        Assert.DoesNotContain("sk_value", error.ToString(), StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Create_that_times_out_is_maybe_minted()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ScriptedServer.StartAsync((_, context) =>
        {
            arrived.TrySetResult();
            return ScriptedServer.HangAsync(context);
        });
        var time = new FakeTimeProvider();
        var issuer = Issuer(server, o => o.Timeout = TimeSpan.FromSeconds(10), time);

        var create = issuer.CreateAsync("r", CancellationToken.None);
        await arrived.Task;
        time.Advance(TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<IssuerException>(() => create);
        Assert.Equal(IssuerFailure.MaybeMinted, error.Failure);
        Assert.Contains("timed out", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_cancelled_by_the_caller_is_a_cancellation_not_a_failure()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ScriptedServer.StartAsync((_, context) =>
        {
            arrived.TrySetResult();
            return ScriptedServer.HangAsync(context);
        });
        using var cancel = new CancellationTokenSource();
        var create = Issuer(server).CreateAsync("r", cancel.Token);
        await arrived.Task;

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => create);
    }

    [Fact]
    public async Task Create_that_cannot_connect_is_maybe_minted()
    {
        var server = await ScriptedServer.StartAsync(_ => Task.FromResult((200, "")));
        var issuer = Issuer(server);
        await server.DisposeAsync();

        var error = await Assert.ThrowsAsync<IssuerException>(() => issuer.CreateAsync("r", CancellationToken.None));

        Assert.Equal(IssuerFailure.MaybeMinted, error.Failure);
    }

    [Fact]
    public async Task Create_refusal_quotes_a_short_single_line_excerpt_of_the_vendors_answer()
    {
        var answer = "{\"error\":\"label already used\",\n\"detail\":\"" + new string('x', 400) + "\"}";
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((409, answer)));

        var error = await Assert.ThrowsAsync<IssuerException>(() => Issuer(server).CreateAsync("r", CancellationToken.None));

        Assert.Equal(IssuerFailure.Permanent, error.Failure);
        Assert.Contains("409", error.Message, StringComparison.Ordinal);
        Assert.Contains("label already used", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", error.Message, StringComparison.Ordinal);
        var excerpt = error.Message[(error.Message.IndexOf("{\"error\"", StringComparison.Ordinal))..];
        Assert.True(excerpt.Length <= 201, $"excerpt of {excerpt.Length} characters");
    }

    [Fact]
    public async Task Create_refusal_that_holds_a_key_field_is_not_quoted()
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((400, """{"error":"bad","key":"sk_echoed"}""")));

        var error = await Assert.ThrowsAsync<IssuerException>(() => Issuer(server).CreateAsync("r", CancellationToken.None));

        Assert.Equal(IssuerFailure.Permanent, error.Failure);
        Assert.DoesNotContain("sk_echoed", error.Message, StringComparison.Ordinal);
    }

    // ---- templates ----

    [Fact]
    public async Task Templates_url_encode_path_values_and_json_escape_body_values()
    {
        const string account = "team/a b?c#d&e";
        const string label = "rot \"1\"\\ \n é/x";
        await using var server = await ScriptedServer.StartAsync(request => Task.FromResult(request.Method switch
        {
            "POST" => (201, """{"id":"a/b","key":"v"}"""),
            "DELETE" => (204, ""),
            _ => (200, """{"items":[]}"""),
        }));
        var issuer = Issuer(server, o =>
        {
            o.Account = account;
            o.Create.Url = "accounts/{account}/keys?label={label}";
        });

        await issuer.CreateAsync(label, CancellationToken.None);
        await issuer.RevokeAsync("a/b", CancellationToken.None);

        var create = server.Requests[0];
        Assert.Equal(
            $"/v1/accounts/{Uri.EscapeDataString(account)}/keys?label={Uri.EscapeDataString(label)}",
            create.PathAndQuery);
        using var body = JsonDocument.Parse(create.Body);
        Assert.Equal(label, body.RootElement.GetProperty("label").GetString());
        Assert.Equal(account, body.RootElement.GetProperty("account").GetString());
        Assert.Equal($"/v1/accounts/{Uri.EscapeDataString(account)}/keys/a%2Fb", server.Requests[1].PathAndQuery);
    }

    [Fact]
    public async Task Absolute_templates_ignore_the_base_url_and_the_credential_uses_the_configured_header()
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((200, """{"items":[]}""")));
        var issuer = Issuer(server, o =>
        {
            o.BaseUrl = new Uri("http://unused.invalid/");
            o.List.Url = server.BaseUrl + "other/{account}";
            o.CredentialHeader = "X-Admin-Token";
            o.CredentialFormat = "Token token={0}";
        });

        await issuer.ListAsync(CancellationToken.None);

        var request = Assert.Single(server.Requests);
        Assert.Equal("/other/acct-1", request.PathAndQuery);
        Assert.Equal($"Token token={Credential}", request.Header("X-Admin-Token"));
        Assert.Null(request.Header("Authorization"));
    }

    [Fact]
    public async Task A_relative_template_without_a_base_url_is_a_permanent_configuration_error()
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((200, """{"items":[]}""")));
        var issuer = Issuer(server, o => o.BaseUrl = null);

        var error = await Assert.ThrowsAsync<IssuerException>(() => issuer.ListAsync(CancellationToken.None));

        Assert.Equal(IssuerFailure.Permanent, error.Failure);
        Assert.Empty(server.Requests);
    }

    // ---- verify ----

    [Fact]
    public async Task Verify_without_a_verify_request_is_true_and_asks_nothing()
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((500, "")));

        Assert.True(await Issuer(server).VerifyAsync("sk", CancellationToken.None));
        Assert.Empty(server.Requests);
    }

    private static void WithVerify(HttpIssuerOptions options, int attempts = 4)
    {
        options.Verify = new HttpVerifyOptions
        {
            Method = "GET",
            Url = "me",
            Header = "X-Api-Key",
            Format = "Key {0}",
            Attempts = attempts,
            Delay = TimeSpan.FromSeconds(3),
        };
    }

    [Fact]
    public async Task Verify_retries_through_the_propagation_delay_until_the_vendor_accepts()
    {
        var answers = new Queue<int>([401, 403, 200]);
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((answers.Dequeue(), "")));
        var time = new RecordingTimeProvider();
        var issuer = Issuer(server, o => WithVerify(o), time);

        Assert.True(await issuer.VerifyAsync("sk_new", CancellationToken.None));

        Assert.Equal(3, server.Requests.Count);
        Assert.All(server.Requests, r =>
        {
            Assert.Equal("/v1/me", r.PathAndQuery);
            Assert.Equal("Key sk_new", r.Header("X-Api-Key"));
            Assert.Null(r.Header("Authorization"));
        });
        Assert.Equal([TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3)], time.Delays);
    }

    [Fact]
    public async Task Verify_is_false_when_the_vendor_keeps_refusing_the_key()
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((401, "")));
        var time = new RecordingTimeProvider();

        Assert.False(await Issuer(server, o => WithVerify(o, attempts: 4), time).VerifyAsync("sk_new", CancellationToken.None));

        Assert.Equal(4, server.Requests.Count);
        Assert.Equal(3, time.Delays.Count);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(429)]
    [InlineData(408)]
    public async Task Verify_throws_transient_when_the_vendor_stays_unavailable(int status)
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((status, "")));

        var error = await Assert.ThrowsAsync<IssuerException>(() => Issuer(server, o => WithVerify(o, attempts: 3)).VerifyAsync("sk_new", CancellationToken.None));

        Assert.Equal(IssuerFailure.Transient, error.Failure);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Verify_that_times_out_every_time_throws_transient()
    {
        await using var server = await ScriptedServer.StartAsync((_, context) => ScriptedServer.HangAsync(context));
        // Waits shorter than an hour end at once: here the request timeout itself.
        var issuer = Issuer(server, o =>
        {
            WithVerify(o, attempts: 2);
            o.Timeout = TimeSpan.FromSeconds(5);
        });

        var error = await Assert.ThrowsAsync<IssuerException>(() => issuer.VerifyAsync("sk_new", CancellationToken.None));

        Assert.Equal(IssuerFailure.Transient, error.Failure);
        Assert.Contains("timed out", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_turns_a_late_success_after_unavailability_into_true()
    {
        var answers = new Queue<int>([503, 401, 204]);
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((answers.Dequeue(), "")));

        Assert.True(await Issuer(server, o => WithVerify(o)).VerifyAsync("sk_new", CancellationToken.None));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(405)]
    public async Task Verify_request_that_does_not_fit_the_vendor_is_permanent_at_once(int status)
    {
        await using var server = await ScriptedServer.StartAsync(_ => Task.FromResult((status, "sk_new")));

        var error = await Assert.ThrowsAsync<IssuerException>(() => Issuer(server, o => WithVerify(o)).VerifyAsync("sk_new", CancellationToken.None));

        Assert.Equal(IssuerFailure.Permanent, error.Failure);
        Assert.Single(server.Requests);
        Assert.DoesNotContain("sk_new", error.ToString(), StringComparison.Ordinal);
    }

    // ---- revoke ----

    [Theory]
    [InlineData(200)]
    [InlineData(202)]
    [InlineData(204)]
    [InlineData(404)]
    [InlineData(410)]
    public async Task Revoke_succeeds_when_the_key_is_gone_afterwards(int status)
    {
        await using var server = await ScriptedServer.StartAsync(request => Task.FromResult(
            request.Method == "DELETE" ? (status, "") : (200, Items("other"))));

        await Issuer(server).RevokeAsync("key_1", CancellationToken.None);

        Assert.Equal(["DELETE /v1/accounts/acct-1/keys/key_1", "GET /v1/accounts/acct-1/keys"], server.Requests.Select(r => $"{r.Method} {r.PathAndQuery}"));
    }

    [Theory]
    [InlineData(500, IssuerFailure.Transient)]
    [InlineData(503, IssuerFailure.Transient)]
    [InlineData(429, IssuerFailure.Transient)]
    [InlineData(408, IssuerFailure.Transient)]
    [InlineData(400, IssuerFailure.Permanent)]
    [InlineData(401, IssuerFailure.Permanent)]
    [InlineData(403, IssuerFailure.Permanent)]
    [InlineData(409, IssuerFailure.Permanent)]
    public async Task Revoke_maps_status_codes_to_failures(int status, IssuerFailure expected)
    {
        await using var server = await ScriptedServer.StartAsync(request => Task.FromResult(
            request.Method == "DELETE" ? (status, "") : (200, Items())));

        var error = await Assert.ThrowsAsync<IssuerException>(() => Issuer(server).RevokeAsync("key_1", CancellationToken.None));

        Assert.Equal(expected, error.Failure);
        Assert.Contains("revoke DELETE", error.Message, StringComparison.Ordinal);
        Assert.Contains("key_1", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Revoke_that_is_still_listed_is_not_confirmed()
    {
        await using var server = await ScriptedServer.StartAsync(request => Task.FromResult(
            request.Method == "DELETE" ? (204, "") : (200, Items("key_1", "key_2"))));

        var error = await Assert.ThrowsAsync<IssuerException>(() => Issuer(server).RevokeAsync("key_1", CancellationToken.None));

        Assert.Equal(IssuerFailure.Transient, error.Failure);
        Assert.Contains("revoke of key key_1 not confirmed: still listed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_counts_a_key_listed_as_revoked_as_gone()
    {
        await using var server = await ScriptedServer.StartAsync(request => Task.FromResult(
            request.Method == "DELETE" ? (204, "") : (200, """{"items":[{"id":"key_1","status":"revoked"}]}""")));

        await Issuer(server, o => o.Pointers.Status = "/status").RevokeAsync("key_1", CancellationToken.None);
    }

    [Fact]
    public async Task Revoke_that_times_out_is_transient()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ScriptedServer.StartAsync((_, context) =>
        {
            arrived.TrySetResult();
            return ScriptedServer.HangAsync(context);
        });
        var time = new FakeTimeProvider();
        var revoke = Issuer(server, o => o.Timeout = TimeSpan.FromSeconds(10), time).RevokeAsync("key_1", CancellationToken.None);
        await arrived.Task;
        time.Advance(TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<IssuerException>(() => revoke);

        Assert.Equal(IssuerFailure.Transient, error.Failure);
    }

    [Fact]
    public async Task The_management_credential_is_read_per_operation_not_per_page()
    {
        var reads = 0;
        await using var server = await ScriptedServer.StartAsync(request => Task.FromResult(request.PathAndQuery.EndsWith("p=2", StringComparison.Ordinal)
            ? (200, """{"items":[]}""")
            : (200, """{"items":[],"next":"keys?p=2"}""")));
        var options = Options(server.BaseUrl);
        options.Pagination.Style = PaginationStyle.NextUrl;
        var issuer = new HttpKeyIssuer(options, "billing", http, _ => Task.FromResult($"cred-{Interlocked.Increment(ref reads)}"), TimeProvider.System, log);

        await issuer.ListAsync(CancellationToken.None);
        await issuer.ListAsync(CancellationToken.None);

        Assert.Equal(2, reads);
        Assert.Equal(["Bearer cred-1", "Bearer cred-1", "Bearer cred-2", "Bearer cred-2"], server.Requests.Select(r => r.Header("Authorization")));
    }
}
