using Rotator.Cli;

return await RotatorCommands.Build().Parse(args).InvokeAsync();
