using System.CommandLine;
using System.Text.Json;
using Rotator.Admin;
using Rotator.Rotation;

namespace Rotator.Cli.AdminApi;

/// <summary>Exit codes of the admin commands, distinct so that scripts can tell what went wrong.</summary>
internal static class AdminExitCodes
{
    public const int Ok = 0;

    /// <summary>Refused: not found, conflict, bad request.</summary>
    public const int Refused = 1;

    /// <summary>Refused locally before any request: a missing option, no API key, a bad URL.</summary>
    public const int Usage = WorkerHost.ConfigurationError;

    /// <summary>401 or 403: the key is wrong, or its role may not do this.</summary>
    public const int Unauthorized = 3;

    /// <summary>The worker could not be reached.</summary>
    public const int Unreachable = 4;

    /// <summary>The worker failed (5xx) or answered something that is not the contract.</summary>
    public const int ServerError = 5;
}

/// <summary><c>status</c>, <c>history</c>, <c>rotate</c>, <c>abort</c>, <c>complete</c>, <c>pause</c>, <c>resume</c>: a running worker's admin API, for people.</summary>
internal static class AdminCommands
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public static IEnumerable<Command> Build(Option<FileInfo?> config)
    {
        var common = new CommonOptions(
            new Option<string?>("--url") { Description = $"The worker's admin API. Default: ${AdminConnection.UrlVariable}, else {AdminConnection.DefaultUrl}." },
            new Option<string?>("--api-key") { Description = $"An admin API key. Default: ${AdminConnection.ApiKeyVariable}, else (inside the worker's pod) read from the vault with the pod's identity." },
            new Option<bool>("--json") { Description = "Print the API's JSON as it is, for scripts." },
            config);

        var statusKey = new Argument<string?>("KEY") { Description = "One managed key; without it, every key.", Arity = ArgumentArity.ZeroOrOne };
        var status = common.AddTo(new Command("status", "Show each managed key's phase, fingerprint, age and next rotation; with KEY, also what every probe address reports.") { statusKey });
        status.SetAction((result, ct) => RunAsync(result, common, readOnly: true, async (session, token) =>
        {
            var key = result.GetValue(statusKey);
            var reply = await session.GetAsync(key is null ? AdminRoutes.Keys : AdminRoutes.Key(key), token);
            return reply is null ? session.Failed : session.Print(reply, body => key is null
                ? AdminOutput.Status(AdminJson.ReadList<KeyStatus>(body))
                : AdminOutput.Status(AdminJson.Read<KeyStatus>(body) ?? throw new JsonException("null status")));
        }, ct));

        var historyKey = KeyArgument();
        var history = common.AddTo(new Command("history", "List a key's rotations, newest first: trigger, actor, times, outcome, fingerprints, steps.") { historyKey });
        history.SetAction((result, ct) => RunAsync(result, common, readOnly: true, async (session, token) =>
        {
            var key = result.GetValue(historyKey)!;
            var reply = await session.GetAsync(AdminRoutes.History(key), token);
            return reply is null ? session.Failed : session.Print(reply, body => AdminOutput.History(key, AdminJson.ReadList<RotationHistoryEntry>(body)));
        }, ct));

        var rotateKey = KeyArgument();
        var rotateReason = new Option<string?>("--reason") { Description = "Why: recorded with the rotation." };
        var emergency = new Option<bool>("--emergency") { Description = "The key is suspected compromised: revoke per --suspect instead of waiting for the gate." };
        var suspect = new Option<string?>("--suspect") { Description = "With --emergency: which key is suspected, old, new (the one in flight) or all." };
        suspect.AcceptOnlyFromAmong("old", "new", "all");
        var rotate = common.AddTo(new Command("rotate", "Start a rotation now (or an emergency rotation).") { rotateKey, rotateReason, emergency, suspect });
        rotate.SetAction((result, ct) =>
        {
            var reason = result.GetValue(rotateReason);
            var which = result.GetValue(suspect);
            if (string.IsNullOrWhiteSpace(reason))
            {
                return Refuse(result, "rotate needs --reason \"why\": it is recorded with the rotation.");
            }

            if (which is not null && !result.GetValue(emergency))
            {
                return Refuse(result, "--suspect applies to emergency rotations only: add --emergency, or drop --suspect.");
            }

            List<(string, string)> query = [("reason", reason)];
            if (result.GetValue(emergency))
            {
                query.Add(("emergency", "true"));
                if (which is not null)
                {
                    query.Add(("suspect", which));
                }
            }

            return Act(result, common, AdminRoutes.Rotate(result.GetValue(rotateKey)!), query, ct);
        });

        var abortKey = KeyArgument();
        var abortReason = new Option<string?>("--reason") { Description = "Why: recorded with the rotation." };
        var abort = common.AddTo(new Command("abort", "Abort the rotation in flight: the new key is revoked, the old one stays.") { abortKey, abortReason });
        abort.SetAction((result, ct) =>
        {
            var reason = result.GetValue(abortReason);
            return Act(result, common, AdminRoutes.Abort(result.GetValue(abortKey)!), string.IsNullOrWhiteSpace(reason) ? [] : [("reason", reason)], ct);
        });

        var completeKey = KeyArgument();
        var force = new Option<bool>("--force") { Description = "Confirm: revoke the old key although some consumers have not reported the new one." };
        var completeReason = new Option<string?>("--reason") { Description = "Why: recorded with the rotation." };
        var complete = common.AddTo(new Command("complete", "Force the rotation in flight to complete: the old key is revoked without waiting for every consumer.") { completeKey, force, completeReason });
        complete.SetAction((result, ct) =>
        {
            var reason = result.GetValue(completeReason);
            if (!result.GetValue(force) || string.IsNullOrWhiteSpace(reason))
            {
                return Refuse(result, "complete revokes the old key although some consumers may still send it, which breaks them. "
                    + "To do it anyway, pass both --force and --reason \"why\".");
            }

            return Act(result, common, AdminRoutes.Complete(result.GetValue(completeKey)!), [("force", "true"), ("reason", reason)], ct);
        });

        var pauseKey = new Argument<string?>("KEY") { Description = "One managed key; without it, every key (the whole worker).", Arity = ArgumentArity.ZeroOrOne };
        var pause = common.AddTo(new Command("pause", "Pause rotations: no new rotation starts and the one in flight waits at its next step.") { pauseKey });
        pause.SetAction((result, ct) => Act(result, common, result.GetValue(pauseKey) is { } key ? AdminRoutes.Pause(key) : AdminRoutes.PauseAll, [], ct));

        var resumeKey = new Argument<string?>("KEY") { Description = "One managed key; without it, every key (the whole worker).", Arity = ArgumentArity.ZeroOrOne };
        var resume = common.AddTo(new Command("resume", "Resume paused rotations, or a key in NeedsAttention once a person has checked it.") { resumeKey });
        resume.SetAction((result, ct) => Act(result, common, result.GetValue(resumeKey) is { } key ? AdminRoutes.Resume(key) : AdminRoutes.ResumeAll, [], ct));

        return [status, history, rotate, abort, complete, pause, resume];
    }

    private static Argument<string> KeyArgument() => new("KEY") { Description = "The managed key's name." };

    private static async Task<int> Refuse(ParseResult result, string message)
    {
        await result.InvocationConfiguration.Error.WriteLineAsync("error: " + message);
        return AdminExitCodes.Usage;
    }

    private static Task<int> Act(ParseResult result, CommonOptions common, string route, IReadOnlyList<(string, string)> query, CancellationToken cancellationToken) =>
        RunAsync(result, common, readOnly: false, async (session, token) =>
        {
            var reply = await session.SendAsync(HttpMethod.Post, route, query, token);
            return reply is null ? session.Failed : session.Print(reply, FormatAction);
        }, cancellationToken);

    /// <summary>One key's action answers <see cref="ActionAccepted"/>; a global pause or resume lists the keys it acted on.</summary>
    private static string FormatAction(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return "accepted\n";
        }

        using (var document = JsonDocument.Parse(body))
        {
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("accepted", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                return AdminOutput.Bulk(AdminJson.Read<BulkActionAccepted>(body) ?? throw new JsonException("null answer"));
            }
        }

        return AdminOutput.Action(AdminJson.Read<ActionAccepted>(body) ?? throw new JsonException("null answer"));
    }

    private static async Task<int> RunAsync(
        ParseResult result, CommonOptions common, bool readOnly, Func<Session, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var output = result.InvocationConfiguration.Output;
        var error = result.InvocationConfiguration.Error;
        var url = AdminConnection.ResolveUrl(result.GetValue(common.Url), Environment.GetEnvironmentVariable);
        if (url is null)
        {
            await error.WriteLineAsync($"error: the admin API URL (--url or {AdminConnection.UrlVariable}) is not an http(s) URL, for example {AdminConnection.DefaultUrl}.");
            return AdminExitCodes.Usage;
        }

        var key = await AdminKeyResolver.ResolveAsync(
            result.GetValue(common.ApiKey), Environment.GetEnvironmentVariable, AdminKeyResolver.FromWorkerConfiguration(result.GetValue(common.Config)), readOnly, cancellationToken);
        if (key.Key is null)
        {
            await error.WriteLineAsync("error: " + key.Origin);
            return AdminExitCodes.Usage;
        }

        using var http = new HttpClient { Timeout = RequestTimeout };
        var session = new Session(new AdminClient(http, new AdminConnection(url, key.Key)), result.GetValue(common.Json), output, error);
        try
        {
            return await body(session, cancellationToken);
        }
        catch (AdminUnreachableException e)
        {
            await error.WriteLineAsync($"error: {e.Message}. Is the worker running? Set --url or {AdminConnection.UrlVariable} to its admin address.");
            return AdminExitCodes.Unreachable;
        }
    }

    private sealed record CommonOptions(Option<string?> Url, Option<string?> ApiKey, Option<bool> Json, Option<FileInfo?> Config)
    {
        public Command AddTo(Command command)
        {
            command.Options.Add(Url);
            command.Options.Add(ApiKey);
            command.Options.Add(Json);
            command.Options.Add(Config);
            return command;
        }
    }

    /// <summary>One command's calls: prints answers and problems, and remembers the exit code of a failed call.</summary>
    private sealed class Session(AdminClient client, bool json, TextWriter output, TextWriter error)
    {
        public int Failed { get; private set; }

        public Task<AdminReply?> GetAsync(string route, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, route, [], cancellationToken);

        /// <summary>The reply when it succeeded; null (with the problem printed and <see cref="Failed"/> set) when not.</summary>
        public async Task<AdminReply?> SendAsync(HttpMethod method, string route, IReadOnlyList<(string, string)> query, CancellationToken cancellationToken)
        {
            var reply = await client.SendAsync(method, route, query, cancellationToken);
            if (reply.Succeeded)
            {
                return reply;
            }

            await error.WriteAsync(AdminOutput.Problem(reply.Status, AdminJson.ReadProblem(reply.Body)));
            if (json && !string.IsNullOrWhiteSpace(reply.Body))
            {
                await output.WriteLineAsync(reply.Body);
            }

            Failed = reply.Status switch
            {
                401 or 403 => AdminExitCodes.Unauthorized,
                >= 500 => AdminExitCodes.ServerError,
                _ => AdminExitCodes.Refused,
            };
            return null;
        }

        public int Print(AdminReply reply, Func<string, string> format)
        {
            if (json)
            {
                output.WriteLine(reply.Body);
                return AdminExitCodes.Ok;
            }

            try
            {
                output.Write(format(reply.Body));
                return AdminExitCodes.Ok;
            }
            catch (JsonException e)
            {
                error.WriteLine($"error: the worker answered {reply.Status} with JSON that does not fit the admin API's contract ({e.Message}). Is --url the worker's admin address? --json shows the answer as it is.");
                return AdminExitCodes.ServerError;
            }
        }
    }
}
