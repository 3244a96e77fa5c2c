using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Quartz;
using Rotator.Configuration;
using Rotator.Rotation;
using Rotator.Scheduling;
using Rotator.Vault;

namespace Rotator.Admin;

/// <summary>The admin API: status, history and operator actions behind named, rotating API keys.</summary>
internal static partial class AdminApi
{
    /// <summary>Registers the admin keys (as managed keys, their seed and cache), authentication and the API's services.</summary>
    public static IHostApplicationBuilder AddAdmin(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<IPostConfigureOptions<RotatorOptions>, AdminKeyDerivation>();
        services.AddSingleton<AdminKeyCache>();
        services.AddSingleton(sp => new FailureLimiter(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<AdminActions>();

        // Before the rotations start (hosted services start in order): a seed must be stored before a bootstrap could run.
        services.AddHostedService<AdminSeeder>();
        services.AddHostedService<AdminKeyRefresher>();

        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicies.Viewer, p => p.AddAuthenticationSchemes(ApiKeyHandler.SchemeName).RequireAuthenticatedUser()
                .RequireRole(nameof(AdminRole.Viewer), nameof(AdminRole.Operator)))
            .AddPolicy(AdminPolicies.Operator, p => p.AddAuthenticationSchemes(ApiKeyHandler.SchemeName).RequireAuthenticatedUser()
                .RequireRole(nameof(AdminRole.Operator)));
        return builder;
    }

    public static WebApplication MapAdminApi(this WebApplication app)
    {
        app.Use(ProblemOnExceptionAsync);

        var view = app.MapGroup("").RequireAuthorization(AdminPolicies.Viewer);
        view.MapGet(AdminRoutes.Keys, ListAsync);
        view.MapGet("/keys/{name}", GetAsync);
        view.MapGet("/keys/{name}/history", HistoryAsync);

        var act = app.MapGroup("").RequireAuthorization(AdminPolicies.Operator);
        act.MapPost("/keys/{name}/rotate", RotateAsync);
        act.MapPost("/keys/{name}/abort", (HttpContext http, string name, CancellationToken ct) => SimpleAsync(http, name, OperatorAction.Abort, "abort", ct));
        act.MapPost("/keys/{name}/complete", CompleteAsync);
        act.MapPost("/keys/{name}/pause", (HttpContext http, string name, CancellationToken ct) => SimpleAsync(http, name, OperatorAction.Pause, "pause", ct));
        act.MapPost("/keys/{name}/resume", (HttpContext http, string name, CancellationToken ct) => SimpleAsync(http, name, OperatorAction.Resume, "resume", ct));
        act.MapPost(AdminRoutes.PauseAll, (HttpContext http, CancellationToken ct) => AllAsync(http, OperatorAction.Pause, ct));
        act.MapPost(AdminRoutes.ResumeAll, (HttpContext http, CancellationToken ct) => AllAsync(http, OperatorAction.Resume, ct));
        return app;
    }

    // ---- Reading ----------------------------------------------------------------------------------------------

    private static async Task<IResult> ListAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var keys = Options(http).Keys;
        var statuses = new List<KeyStatus>(keys.Count);
        foreach (var key in keys)
        {
            statuses.Add(await StatusAsync(http, key, cancellationToken));
        }

        return Results.Ok(statuses);
    }

    private static async Task<IResult> GetAsync(HttpContext http, string name, CancellationToken cancellationToken) =>
        Find(http, name, out var key) is { } missing ? missing : Results.Ok(await StatusAsync(http, key!, cancellationToken));

    private static async Task<IResult> HistoryAsync(HttpContext http, string name, CancellationToken cancellationToken)
    {
        if (Find(http, name, out var key) is { } missing)
        {
            return missing;
        }

        try
        {
            return Results.Ok(await Service<RotationHistory>(http).ReadAsync(key!, cancellationToken));
        }
        catch (VaultException e) when (e.Failure == VaultFailure.Transient)
        {
            http.Response.Headers.RetryAfter = "5";
            return Results.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "The vault is not answering",
                detail: $"The history of '{key!.Name}' is read from the vault, which did not answer; try again shortly. Status (GET {AdminRoutes.Key(key.Name)}) works without the vault.");
        }
    }

    private static async Task<KeyStatus> StatusAsync(HttpContext http, ManagedKeyOptions key, CancellationToken cancellationToken)
    {
        var quartz = await Service<ISchedulerFactory>(http).GetScheduler(cancellationToken);
        var triggers = await quartz.GetTriggersOfJob(RotationScheduler.JobKeyOf(key.Name), cancellationToken);
        var planned = triggers.Select(t => new PlannedRun(t.Key.Name, t.NextFireTimeUtc)).ToList();
        return KeyStatusMapper.Map(key, Service<KeyStates>(http).Get(key.Name), planned, Service<TimeProvider>(http).GetUtcNow());
    }

    // ---- Acting -----------------------------------------------------------------------------------------------

    private static async Task<IResult> RotateAsync(HttpContext http, string name, CancellationToken cancellationToken)
    {
        if (Find(http, name, out var key) is { } missing)
        {
            return missing;
        }

        var query = http.Request.Query;
        var emergencyText = query["emergency"].ToString();
        var suspectText = query["suspect"].ToString();
        var emergency = false;
        if (emergencyText.Length > 0 && !bool.TryParse(emergencyText, out emergency))
        {
            return BadRequest($"emergency=\"{Cut(emergencyText)}\" is not true or false; add emergency=true for a suspected compromise, or leave it out.");
        }

        var suspect = Suspect.Old;
        if (suspectText.Length > 0)
        {
            if (!emergency)
            {
                return BadRequest("suspect applies only to an emergency; add emergency=true, or leave suspect out for a normal rotation.");
            }

            if (!Enum.TryParse(suspectText, ignoreCase: true, out suspect) || !Enum.IsDefined(suspect) || suspectText.Any(char.IsDigit))
            {
                return BadRequest($"suspect=\"{Cut(suspectText)}\" is not one of old, new, all; say which key is suspected: old (the current key), new (the key being rolled out) or all.",
                    ("validValues", new[] { "old", "new", "all" }));
            }
        }

        var (reason, bad) = await ReasonAsync(http, cancellationToken);
        if (bad is not null)
        {
            return bad;
        }

        var request = emergency
            ? new OperatorRequest(OperatorAction.Emergency, Actor(http), reason, suspect)
            : new OperatorRequest(OperatorAction.Rotate, Actor(http), reason);
        return await ActAsync(http, key!, request, emergency ? "emergency" : "rotate", cancellationToken);
    }

    private static async Task<IResult> CompleteAsync(HttpContext http, string name, CancellationToken cancellationToken)
    {
        if (Find(http, name, out var key) is { } missing)
        {
            return missing;
        }

        var force = http.Request.Query["force"].ToString();
        if (!bool.TryParse(force, out var forced) || !forced)
        {
            return BadRequest("Completing a rotation revokes the old key although some consumers may still send it: confirm with force=true and give a reason (reason=…).");
        }

        var (reason, bad) = await ReasonAsync(http, cancellationToken);
        if (bad is not null)
        {
            return bad;
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            return BadRequest("A forced completion needs a reason, recorded with your key's name: add reason=… (or a JSON body {\"reason\": \"…\"}).");
        }

        return await ActAsync(http, key!, new OperatorRequest(OperatorAction.ForceComplete, Actor(http), reason, Confirmed: true), "complete", cancellationToken);
    }

    private static async Task<IResult> SimpleAsync(HttpContext http, string name, OperatorAction action, string verb, CancellationToken cancellationToken)
    {
        if (Find(http, name, out var key) is { } missing)
        {
            return missing;
        }

        var (reason, bad) = await ReasonAsync(http, cancellationToken);
        return bad ?? await ActAsync(http, key!, new OperatorRequest(action, Actor(http), reason), verb, cancellationToken);
    }

    private static async Task<IResult> ActAsync(HttpContext http, ManagedKeyOptions key, OperatorRequest request, string verb, CancellationToken cancellationToken)
    {
        var result = await Service<AdminActions>(http).RequestAsync(key.Name, request, AdminActions.Wait, cancellationToken);
        if (result?.Refused is { } why)
        {
            var running = result.RotationId ?? result.Record?.RotationId;
            return Results.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Refused",
                detail: why,
                extensions: new Dictionary<string, object?> { ["rotationId"] = running, ["phase"] = result.Phase.ToString(), ["key"] = key.Name });
        }

        return Results.Accepted(AdminRoutes.Key(key.Name), Accepted(http, key, request, verb, result));
    }

    private static async Task<IResult> AllAsync(HttpContext http, OperatorAction action, CancellationToken cancellationToken)
    {
        var (reason, bad) = await ReasonAsync(http, cancellationToken);
        if (bad is not null)
        {
            return bad;
        }

        var verb = action == OperatorAction.Pause ? "pause" : "resume";
        var states = Service<KeyStates>(http);
        var act = new List<(ManagedKeyOptions Key, OperatorRequest Request)>();
        var skipped = new List<KeySkipped>();
        foreach (var key in Options(http).Keys)
        {
            var state = states.Get(key.Name);
            var why = action == OperatorAction.Pause ? null
                : state is null ? "its state is not known yet (no execution since start-up); resume it by name if it is paused"
                : state.Phase == Phase.NeedsAttention ? "it needs attention: check it, then resume it by name"
                : !state.Record.Paused ? "it is not paused"
                : null;
            if (why is null)
            {
                act.Add((key, new OperatorRequest(action, Actor(http), reason)));
            }
            else
            {
                skipped.Add(new KeySkipped(key.Name, state?.Phase ?? Phase.Idle, why));
            }
        }

        var actions = Service<AdminActions>(http);
        var results = await Task.WhenAll(act.Select(a => actions.RequestAsync(a.Key.Name, a.Request, AdminActions.Wait, cancellationToken)));
        var accepted = act.Select((a, i) => Accepted(http, a.Key, a.Request, verb, results[i])).ToList();
        return Results.Accepted(AdminRoutes.Keys, new BulkActionAccepted(verb, Actor(http), accepted, skipped));
    }

    private static ActionAccepted Accepted(HttpContext http, ManagedKeyOptions key, OperatorRequest request, string verb, ExecutionResult? result)
    {
        if (result is null)
        {
            var state = Service<KeyStates>(http).Get(key.Name);
            return new ActionAccepted(key.Name, verb, request.Actor, state?.Record.RotationId, state?.Phase ?? Phase.Idle,
                $"Queued: the key's job is busy; the request runs after it. Follow it with GET {AdminRoutes.Key(key.Name)}.");
        }

        return new ActionAccepted(key.Name, verb, request.Actor, result.RotationId ?? result.Record?.RotationId, result.Phase, result.Refused ?? result.Error);
    }

    // ---- Helpers ----------------------------------------------------------------------------------------------

    /// <summary>The reason from the query, else from a JSON body <c>{"reason": …}</c>; or a 400 for a body that is not that.</summary>
    private static async Task<(string? Reason, IResult? Bad)> ReasonAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var fromQuery = http.Request.Query["reason"].ToString();
        if (fromQuery.Length > 0)
        {
            return (fromQuery, null);
        }

        if (http.Request.ContentLength is 0 || (http.Request.ContentLength is null && !http.Request.HasJsonContentType()))
        {
            return (null, null);
        }

        try
        {
            var options = http.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            var body = await JsonSerializer.DeserializeAsync<ActionBody>(http.Request.Body, options, cancellationToken);
            return (string.IsNullOrWhiteSpace(body?.Reason) ? null : body.Reason, null);
        }
        catch (JsonException)
        {
            return (null, BadRequest("The body is not JSON like {\"reason\": \"…\"}; send that, or no body and reason=… in the query."));
        }
    }

    private static IResult? Find(HttpContext http, string name, out ManagedKeyOptions? key)
    {
        var keys = Options(http).Keys;
        key = keys.FirstOrDefault(k => k.Name == name);
        if (key is not null)
        {
            return null;
        }

        var valid = keys.Select(k => k.Name).ToArray();
        return Results.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "No such key",
            detail: $"There is no managed key named '{Cut(name)}'. Valid names: {(valid.Length == 0 ? "(none configured)" : string.Join(", ", valid))}.",
            extensions: new Dictionary<string, object?> { ["validNames"] = valid });
    }

    private static IResult BadRequest(string detail, params (string Name, object Value)[] extensions) =>
        Results.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "Bad request",
            detail: detail,
            extensions: extensions.ToDictionary(e => e.Name, e => (object?)e.Value));

    /// <summary>The admin key's name: the actor of every action taken with it.</summary>
    private static string Actor(HttpContext http) => http.User.Identity?.Name ?? "unknown";

    private static RotatorOptions Options(HttpContext http) => Service<IOptionsMonitor<RotatorOptions>>(http).CurrentValue;

    private static T Service<T>(HttpContext http) where T : notnull => http.RequestServices.GetRequiredService<T>();

    /// <summary>Echoed input is cut short: a problem answer is no place for a long paste.</summary>
    private static string Cut(string text) => text.Length <= 64 ? text : text[..64] + "…";

    /// <summary>An unhandled exception becomes a 500 problem that says nothing of the exception (its message could quote a key).</summary>
    internal static async Task ProblemOnExceptionAsync(HttpContext http, RequestDelegate next)
    {
        try
        {
            await next(http);
        }
        catch (Exception e) when (!http.RequestAborted.IsCancellationRequested)
        {
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminApi).FullName!);
            LogUnhandled(logger, http.Request.Method, http.Request.Path, e.GetType().FullName ?? e.GetType().Name, e.StackTrace ?? "");
            if (http.Response.HasStarted)
            {
                throw;
            }

            http.Response.Clear();
            http.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status500InternalServerError,
                    Title = "Internal error",
                    Detail = "The worker failed to answer this request; its log says where (never what a key was). Try again, and report it if it persists.",
                },
            });
        }
    }

    // The exception's message is left out on purpose: it could quote an answer that holds a key.
    [LoggerMessage(EventId = 730, Level = LogLevel.Error, Message = "Admin API: {Method} {Path} failed unexpectedly ({Exception})\n{StackTrace}")]
    private static partial void LogUnhandled(ILogger logger, string method, string path, string exception, string stackTrace);
}
