using System.CommandLine;

namespace Rotator.Cli;

/// <summary>The command line: <c>run</c> (the default), <c>demo</c>, <c>local-vault</c>, <c>validate</c>, and the admin API's commands.</summary>
internal static class RotatorCommands
{
    /// <summary>Where the worker's pod says its configuration file is, so that <c>kubectl exec … status</c> needs no <c>--config</c>.</summary>
    public const string ConfigVariable = "ROTATOR_CONFIG";

    public static RootCommand Build()
    {
        var config = new Option<FileInfo?>("--config")
        {
            Description = $"An extra JSON configuration file, read after appsettings.json and before environment variables. Default: ${ConfigVariable}, if set.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ConfigVariable) is { Length: > 0 } path ? new FileInfo(path) : null,
        };

        var run = new Command("run", "Run the worker: rotate the managed keys in configuration on their schedules.") { config };
        run.SetAction((result, ct) => WorkerHost.RunAsync(result.GetValue(config), ct));

        var offline = new Option<bool>("--offline") { Description = "Check the configuration only: no vault, vendor or probe is asked." };
        var validate = new Command("validate", "Check the configuration, the vault permissions, each vendor's List request and each probe, changing nothing: zero when all pass, non-zero with one line per problem.") { config, offline };
        validate.SetAction((result, ct) => Validation.ValidateCommand.RunAsync(
            result.GetValue(config), result.GetValue(offline), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, ct));

        var rotations = new Option<int>("--rotations") { Description = "Stop after this many completed rotations.", DefaultValueFactory = _ => 3 };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Keep the local vault's and the sample vendor's state here; a demo started again with the same folder resumes." };
        var demo = new Command("demo", "Rotate a key end to end on this machine: local vault, sample vendor, consumers and the worker, over real HTTP.") { rotations, data };
        demo.SetAction((result, ct) => DemoCommand.RunAsync(result.GetValue(rotations), result.GetValue(data), ct));

        var urls = new Option<string>("--urls") { Description = "Where to listen, for example https://127.0.0.1:8443.", DefaultValueFactory = _ => "https://127.0.0.1:8443" };
        var vaultData = new Option<DirectoryInfo?>("--data") { Description = "Folder for the vault's state, certificate (cert.pem) and access token (token). Without it, everything is in memory." };
        var localVault = new Command("local-vault", "Serve the local Key Vault-compatible secrets API over HTTPS until stopped.") { urls, vaultData };
        localVault.SetAction((result, ct) => LocalVaultCommand.RunAsync(result.GetValue(urls)!, result.GetValue(vaultData), ct));

        var root = new RootCommand("Rotator rotates API keys without downtime: mint, store in Key Vault, wait for every consumer, revoke.")
        {
            run, validate, demo, localVault,
        };
        foreach (var command in AdminApi.AdminCommands.Build(config))
        {
            root.Subcommands.Add(command);
        }

        root.Options.Add(config);
        root.SetAction((result, ct) => WorkerHost.RunAsync(result.GetValue(config), ct));
        return root;
    }
}
