using System.Net;
using System.Text.Json;
using Rotator.Client;
using Rotator.IntegrationTests.Rotation;

namespace Rotator.IntegrationTests.Admin;

/// <summary>The admin API on a real worker: real HTTP to its admin port, the local vault, the sample vendor and consumers.</summary>
public sealed class AdminApiTests
{
    private static string Phase(JsonElement status) => status.GetProperty("phase").GetString()!;

    private static string? RotationId(JsonElement status) => status.GetProperty("rotationId").GetString();

    [Fact]
    public async Task StatusHistoryAndAuthentication()
    {
        await using var admin = await AdminWorld.StartAsync();
        await admin.WaitForBootstrapAsync();

        var none = await admin.GetAsync("/keys", null);
        var wrong = await admin.GetAsync("/keys", admin.ViewSeed + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, none.Status);
        Assert.Equal("application/problem+json", none.ContentType);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Contains(admin.World.Logs.Lines, l => l.Contains("presented an API key of 44 characters that is not accepted", StringComparison.Ordinal) && l.Contains("127.0.0.1", StringComparison.Ordinal));

        var all = await admin.GetAsync("/keys", admin.ViewSeed);
        Assert.Equal(HttpStatusCode.OK, all.Status);
        Assert.Equal(["demo", "admin-ops", "admin-view"], all.Json.EnumerateArray().Select(k => k.GetProperty("name").GetString()));

        var demo = await admin.WaitForStatusAsync("demo", s => Phase(s) == "Completed", "the demo key at rest");
        var current = (await admin.World.Secrets.GetSecretAsync("demo-api-key")).Value;
        Assert.Equal("demo-api-key", demo.GetProperty("secret").GetString());
        Assert.Equal("Http", demo.GetProperty("issuer").GetString());
        Assert.Equal("Bootstrap", demo.GetProperty("trigger").GetString());
        Assert.Equal(current.Properties.Version, demo.GetProperty("currentVersion").GetString());
        Assert.Equal(Fingerprint.Of(current.Value), demo.GetProperty("currentFingerprint").GetString());
        Assert.Equal(Fingerprint.Of(current.Value), demo.GetProperty("newFingerprint").GetString());
        Assert.NotEqual(JsonValueKind.Null, demo.GetProperty("age").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, demo.GetProperty("nextRotation").ValueKind);
        Assert.False(demo.GetProperty("paused").GetBoolean());

        var ops = await admin.WaitForStatusAsync("admin-ops", s => s.GetProperty("observedAt").ValueKind != JsonValueKind.Null, "the ops key's first execution");
        Assert.Equal(("Completed", "seed", "Generated"), (Phase(ops), RotationId(ops), ops.GetProperty("issuer").GetString()));
        Assert.Equal(Fingerprint.Of(admin.OpsSeed), ops.GetProperty("currentFingerprint").GetString());

        var missing = await admin.GetAsync("/keys/nope", admin.ViewSeed);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Contains("'nope'", missing.Text("detail"), StringComparison.Ordinal);
        Assert.Contains("demo, admin-ops, admin-view", missing.Text("detail"), StringComparison.Ordinal);

        var history = await admin.GetAsync("/keys/demo/history", admin.ViewSeed);
        Assert.Equal(HttpStatusCode.OK, history.Status);
        var entry = Assert.Single(history.Json.EnumerateArray());
        Assert.Equal(("Bootstrap", "Completed"), (entry.GetProperty("trigger").GetString(), entry.GetProperty("outcome").GetString()));

        var forbidden = await admin.PostAsync("/keys/demo/rotate?reason=curious", admin.ViewSeed);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.Status);
        Assert.Contains("'view'", forbidden.Text("detail"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsync("/pause", admin.ViewSeed)).Status);

        // Ten wrong keys from one address, then even a right one waits.
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await admin.GetAsync("/keys", $"guess-{i}")).Status);
        }

        var limited = await admin.GetAsync("/keys", admin.ViewSeed);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.Status);
        Assert.Equal("application/problem+json", limited.ContentType);
        Assert.True(limited.Response.Headers.RetryAfter?.Delta > TimeSpan.Zero);

        Secrets.AssertAbsent([admin.OpsSeed, admin.ViewSeed], admin.World.Logs.Text + admin.Bodies);
    }

    [Fact]
    public async Task OperatorActions()
    {
        // A slow consumer keeps each rollout open for a few seconds, long enough to act on it.
        await using var admin = await AdminWorld.StartAsync(new WorldOptions { Consumers = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(4)] });
        await admin.WaitForBootstrapAsync();
        var ops = admin.OpsSeed;

        var badSuspect = await admin.PostAsync("/keys/demo/rotate?emergency=true&suspect=maybe", ops);
        Assert.Equal(HttpStatusCode.BadRequest, badSuspect.Status);
        Assert.Contains("old, new, all", badSuspect.Text("detail"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/keys/nope/rotate", ops)).Status);

        // Rotate (reason in the body), then a second rotate is refused with the running rotation's id.
        var rotate = await admin.PostAsync("/keys/demo/rotate", ops, """{"reason":"quarterly"}""");
        Assert.Equal(HttpStatusCode.Accepted, rotate.Status);
        var first = rotate.Text("rotationId");
        Assert.NotNull(first);
        Assert.Equal(("rotate", "ops"), (rotate.Text("action"), rotate.Text("actor")));
        var again = await admin.PostAsync("/keys/demo/rotate?reason=twice", ops);
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal(first, again.Text("rotationId"));

        // Forced completion needs force=true and a reason.
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/keys/demo/complete?reason=hurry", ops)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/keys/demo/complete?force=true", ops)).Status);
        await admin.WaitForStatusAsync("demo", s => Phase(s) is "RollingOut", "the manual rollout");
        var complete = await admin.PostAsync("/keys/demo/complete?force=true&reason=consumer-2%20restarts%20anyway", ops);
        Assert.Equal(HttpStatusCode.Accepted, complete.Status);
        Assert.Equal(first, complete.Text("rotationId"));
        await admin.WaitForStatusAsync("demo", s => Phase(s) == "Completed" && RotationId(s) == first, "the forced completion");
        var history = await admin.GetAsync("/keys/demo/history", ops);
        var newest = history.Json.EnumerateArray().First();
        Assert.Equal((first, "ops", "Completed"), (newest.GetProperty("rotationId").GetString(), newest.GetProperty("actor").GetString(), newest.GetProperty("outcome").GetString()));

        // Abort a rotation in flight: the key is paused afterwards; resume lifts that.
        var second = (await admin.PostAsync("/keys/demo/rotate?reason=again", ops)).Text("rotationId");
        Assert.NotEqual(first, second);
        await admin.WaitForStatusAsync("demo", s => Phase(s) is "RollingOut", "the second rollout");
        var abort = await admin.PostAsync("/keys/demo/abort?reason=wrong%20account", ops);
        Assert.Equal(HttpStatusCode.Accepted, abort.Status);
        await admin.WaitForStatusAsync("demo", s => Phase(s) == "Idle" && s.GetProperty("paused").GetBoolean(), "the abort");
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync("/keys/demo/abort", ops)).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/keys/demo/resume", ops)).Status);
        await admin.WaitForStatusAsync("demo", s => !s.GetProperty("paused").GetBoolean(), "the resume");

        // An emergency is never refused because a rotation runs.
        var third = (await admin.PostAsync("/keys/demo/rotate", ops)).Text("rotationId");
        var emergency = await admin.PostAsync("/keys/demo/rotate?emergency=true&suspect=old&reason=leaked", ops);
        Assert.Equal(HttpStatusCode.Accepted, emergency.Status);
        Assert.Equal(("emergency", third), (emergency.Text("action"), emergency.Text("rotationId")));
        var done = await admin.WaitForStatusAsync("demo", s => Phase(s) == "Completed" && RotationId(s) == third, "the emergency");
        Assert.Equal(("Emergency", "ops"), (done.GetProperty("trigger").GetString(), done.GetProperty("actor").GetString()));

        // Pause and resume by name.
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/keys/demo/pause", ops)).Status);
        Assert.True((await admin.GetAsync("/keys/demo", ops)).Json.GetProperty("paused").GetBoolean());
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/keys/demo/resume", ops)).Status);
        Assert.False((await admin.GetAsync("/keys/demo", ops)).Json.GetProperty("paused").GetBoolean());

        // The forced completion and the emergency revoke while the slow consumer still sends the old key, as asked: invariant 3 gives way to them, no other.
        Assert.All(admin.World.Invariants.Violations, v => Assert.Contains(": 3: key ", v, StringComparison.Ordinal));
        Secrets.AssertAbsent([admin.OpsSeed, admin.ViewSeed, .. admin.World.KeysInVault], admin.World.Logs.Text + admin.Bodies);
    }

    [Fact]
    public async Task GlobalPauseAndResume_LeaveAKeyThatNeedsAttentionAlone()
    {
        // A second key whose secret does not exist (and may not be bootstrapped) stops in NeedsAttention.
        await using var admin = await AdminWorld.StartAsync(new WorldOptions
        {
            Configure = config =>
            {
                foreach (var (name, value) in config.Where(c => c.Key.StartsWith("Rotator:Keys:0:", StringComparison.Ordinal)).ToList())
                {
                    config["Rotator:Keys:1:" + name["Rotator:Keys:0:".Length..]] = value;
                }

                config["Rotator:Keys:1:Name"] = "orphan";
                config["Rotator:Keys:1:Secret"] = "orphan-api-key";
                config["Rotator:Keys:1:Bootstrap"] = "false";
            },
        });
        await admin.WaitForBootstrapAsync();
        await admin.WaitForStatusAsync("orphan", s => Phase(s) == "NeedsAttention", "the orphan to need attention");
        await admin.WaitForStatusAsync("admin-view", s => s.GetProperty("observedAt").ValueKind != JsonValueKind.Null, "the admin keys' first executions");

        var pause = await admin.PostAsync("/pause?reason=freeze", admin.OpsSeed);
        Assert.Equal(HttpStatusCode.Accepted, pause.Status);
        Assert.Equal(["demo", "orphan", "admin-ops", "admin-view"], pause.Json.GetProperty("accepted").EnumerateArray().Select(a => a.GetProperty("key").GetString()));
        var paused = (await admin.GetAsync("/keys", admin.OpsSeed)).Json.EnumerateArray().ToList();
        Assert.All(paused, k => Assert.True(k.GetProperty("paused").GetBoolean(), k.GetProperty("name").GetString()));
        Assert.All(paused, k => Assert.Equal(JsonValueKind.Null, k.GetProperty("nextRotation").ValueKind));

        var resume = await admin.PostAsync("/resume", admin.OpsSeed);
        Assert.Equal(HttpStatusCode.Accepted, resume.Status);
        var skipped = Assert.Single(resume.Json.GetProperty("skipped").EnumerateArray());
        Assert.Equal(("orphan", "NeedsAttention"), (skipped.GetProperty("key").GetString(), skipped.GetProperty("phase").GetString()));
        var after = (await admin.GetAsync("/keys", admin.OpsSeed)).Json.EnumerateArray().ToDictionary(k => k.GetProperty("name").GetString()!, k => k.GetProperty("paused").GetBoolean());
        Assert.Equal(new Dictionary<string, bool> { ["demo"] = false, ["orphan"] = true, ["admin-ops"] = false, ["admin-view"] = false }, after);
        Assert.Equal("NeedsAttention", Phase((await admin.GetAsync("/keys/orphan", admin.OpsSeed)).Json));
    }

    [Fact]
    public async Task AdminKeyRotation_TheNewKeyIsAcceptedBeforeTheOldOneStops()
    {
        await using var admin = await AdminWorld.StartAsync();
        await admin.WaitForStatusAsync("admin-ops", s => s.GetProperty("observedAt").ValueKind != JsonValueKind.Null, "the ops key's first execution");
        var old = admin.OpsSeed;

        var rotate = await admin.PostAsync("/keys/admin-ops/rotate?reason=drill", old);
        Assert.Equal(HttpStatusCode.Accepted, rotate.Status);
        var rotation = rotate.Text("rotationId");

        // Whatever the vault serves is accepted at every moment; the old key stops only after the new one worked.
        var newWorked = false;
        var oldStopped = false;
        var fresh = old;
        using var timeout = new CancellationTokenSource(AdminWorld.Limit);
        while (true)
        {
            Assert.False(timeout.IsCancellationRequested, $"the rotation of admin-ops did not complete.\n{string.Join('\n', admin.World.Logs.Lines.TakeLast(30))}");
            fresh = (await admin.World.Secrets.GetSecretAsync(AdminWorld.OpsSecret)).Value.Value;
            var withFresh = await admin.GetAsync("/keys/admin-ops", fresh);
            Assert.Equal(HttpStatusCode.OK, withFresh.Status);
            newWorked |= fresh != old;
            if (!oldStopped)
            {
                var withOld = await admin.GetAsync("/keys", old);
                oldStopped = withOld.Status == HttpStatusCode.Unauthorized;
                Assert.True(!oldStopped || newWorked, "the old admin key was refused before the new one was accepted");
            }

            if (Phase(withFresh.Json) == "Completed" && RotationId(withFresh.Json) == rotation && oldStopped)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        }

        Assert.NotEqual(old, fresh);
        var status = (await admin.GetAsync("/keys/admin-ops", fresh)).Json;
        Assert.Equal(Fingerprint.Of(fresh), status.GetProperty("currentFingerprint").GetString());
        Assert.Equal(("Manual", "ops"), (status.GetProperty("trigger").GetString(), status.GetProperty("actor").GetString()));
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/keys/demo/pause", fresh)).Status);
        Secrets.AssertAbsent([old, fresh, admin.ViewSeed], admin.World.Logs.Text + admin.Bodies);
    }
}
