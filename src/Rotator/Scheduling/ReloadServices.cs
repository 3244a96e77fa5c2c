using Microsoft.Extensions.Options;
using Rotator.Configuration;

namespace Rotator.Scheduling;

internal static class ReloadServices
{
    /// <summary>
    /// Configuration reload without a restart: <see cref="IOptionsMonitor{TOptions}"/> of <see cref="RotatorOptions"/>
    /// becomes the last accepted options, fed by <see cref="ConfigurationReloader"/>. <c>IOptions</c> stays the
    /// start-up value, for settings that need a restart (the vault).
    /// </summary>
    public static IServiceCollection AddConfigurationReload(this IServiceCollection services)
    {
        services.AddSingleton<RotatorOptionsMonitor>();
        services.AddSingleton<IOptionsMonitor<RotatorOptions>>(sp => sp.GetRequiredService<RotatorOptionsMonitor>());
        services.AddSingleton<KeyLocks>();
        services.AddHostedService<ConfigurationReloader>();
        return services;
    }
}
