using Serilog;
using Serilog.Formatting.Compact;

namespace Rotator.Telemetry;

internal static class Logging
{
    /// <summary>Serilog to the console: compact JSON in production, readable text elsewhere. Levels come from configuration (<c>Serilog</c> section).</summary>
    public static IHostApplicationBuilder AddRotatorLogging(this IHostApplicationBuilder builder)
    {
        var json = builder.Environment.IsProduction() && builder.Configuration.GetValue("Rotator:JsonLogs", true);
        // The host's own logger, not the static Log.Logger: several hosts in one process (the demo's parts, tests) must
        // not write into each other's sinks.
        builder.Services.AddSerilog(
            (services, logger) =>
            {
                // Sinks registered as services (a test's list sink, say) join the console.
                logger.ReadFrom.Configuration(builder.Configuration).ReadFrom.Services(services).Enrich.FromLogContext();
                if (json)
                {
                    logger.WriteTo.Console(new RenderedCompactJsonFormatter());
                }
                else
                {
                    logger.WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}");
                }
            },
            preserveStaticLogger: true);
        return builder;
    }
}
