using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Quartz;
using Rotator.Admin;
using Rotator.Configuration;
using Rotator.Consumers;
using Rotator.Consumers.Http;
using Rotator.Issuers;
using Rotator.Rotation;
using Rotator.Scheduling;
using Rotator.Telemetry;
using Rotator.Vault;

namespace Rotator;

/// <summary>The composition root: everything the worker needs, in one place.</summary>
internal static class RotatorHostExtensions
{
    private const string ProbeHttpClient = "probe";

    /// <param name="localVaultAllowed">True under <c>demo</c>, <c>local-vault</c> and the Development environment.</param>
    public static IHostApplicationBuilder AddRotator(this IHostApplicationBuilder builder, bool localVaultAllowed)
    {
        var services = builder.Services;
        builder.AddRotatorLogging();
        builder.AddRotatorTelemetry();

        services.AddOptions<RotatorOptions>().Bind(builder.Configuration.GetSection(RotatorOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RotatorOptions>>(new RotatorOptionsValidator(localVaultAllowed));

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => SecretClientFactory.Create(sp.GetRequiredService<IOptions<RotatorOptions>>().Value.Vault));
        services.AddMetrics();
        services.AddSingleton<RotatorMetrics>();
        services.AddSingleton<KeyVaultStore>();
        services.AddSingleton<IVault>(sp => new ResilientVault(
            new CountingVault(sp.GetRequiredService<KeyVaultStore>(), sp.GetRequiredService<RotatorMetrics>()),
            sp.GetRequiredService<IOptions<RotatorOptions>>().Value.Retry,
            sp.GetRequiredService<TimeProvider>()));

        services.AddTransient<CountingHandler>();
        services.AddHttpClient(IssuerFactory.HttpClientName).AddHttpMessageHandler<CountingHandler>();
        services.AddHttpClient(ProbeHttpClient);
        services.AddSingleton<IIssuerFactory, IssuerFactory>();
        services.TryAddSingleton<IAddressResolver, DnsAddressResolver>();
        services.AddSingleton(sp => new HttpConsumerProbe(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(ProbeHttpClient),
            sp.GetRequiredService<IAddressResolver>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<HttpConsumerProbe>>(),
            sp.GetRequiredService<TimeProvider>()));
        // The admin keys' own probes are answered in-process; every other probe goes over HTTP.
        services.AddSingleton<IConsumerProbe>(sp => new AdminSelfProbe(
            sp.GetRequiredService<HttpConsumerProbe>(),
            sp.GetRequiredService<AdminKeyCache>(),
            sp.GetRequiredService<IVault>(),
            sp.GetRequiredService<IOptionsMonitor<RotatorOptions>>()));

        services.AddSingleton<GateMemory>();
        services.AddSingleton<WorkerIdentity>();
        services.AddSingleton<RotationExecutor>();
        services.AddSingleton<RotationScheduler>();
        services.AddSingleton<RotationObserver>();
        services.AddSingleton<KeyStates>();
        services.AddSingleton<RotationHistory>();
        services.AddTransient<RotationJob>();
        builder.AddAdmin();

        services.AddQuartz(q => q.UseInMemoryStore());
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddHostedService<RotationStartup>();
        services.AddConfigurationReload();
        return builder;
    }

    /// <summary>The endpoints on the admin port.</summary>
    public static WebApplication MapRotator(this WebApplication app)
    {
        app.MapAdminApi();
        app.MapTelemetry();
        return app;
    }
}
