using System.Diagnostics;

namespace Rotator.IntegrationTests.Cli;

/// <summary>The built worker run as its own OS process (<c>dotnet exec Rotator.dll …</c>), its output kept line by line.</summary>
internal sealed class RotatorProcess : IDisposable
{
    private readonly Process process;
    private readonly List<string> lines = [];
    private readonly SemaphoreSlim arrived = new(0);

    private RotatorProcess(Process process) => this.process = process;

    public static string Assembly => Path.Combine(AppContext.BaseDirectory, "Rotator.dll");

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (lines)
            {
                return [.. lines];
            }
        }
    }

    public string Output => string.Join('\n', Lines);

    public bool HasExited => process.HasExited;

    public static RotatorProcess Start(IEnumerable<string> arguments, string? workingDirectory = null, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(Assembly);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info };
        var started = new RotatorProcess(process);
        process.OutputDataReceived += (_, e) => started.Add(e.Data);
        process.ErrorDataReceived += (_, e) => started.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Waits for a line that matches; fails with the output so far if none comes in time or the process ends.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        var seen = 0;
        while (true)
        {
            var now = Lines;
            for (; seen < now.Count; seen++)
            {
                if (match(now[seen]))
                {
                    return now[seen];
                }
            }

            if (process.HasExited && seen == Lines.Count)
            {
                Assert.Fail($"the process exited ({process.ExitCode}) before the line came:\n{Output}");
            }

            try
            {
                await arrived.WaitAsync(TimeSpan.FromMilliseconds(200), timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"no such line within {limit}:\n{Output}");
            }
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            Assert.Fail($"the process did not exit within {limit}:\n{Output}");
        }

        // The asynchronous readers may still be delivering the last lines.
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown, no flush; what survives is what was written.</summary>
    public void Kill()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        process.Dispose();
        arrived.Dispose();
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (lines)
        {
            lines.Add(line);
        }

        arrived.Release();
    }
}
