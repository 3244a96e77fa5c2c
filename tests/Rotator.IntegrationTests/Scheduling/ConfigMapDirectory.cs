using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Rotator.IntegrationTests.Scheduling;

/// <summary>
/// A ConfigMap mounted as a directory, laid out as the kubelet lays it out: <c>rotator.json -> ..data/rotator.json</c>,
/// <c>..data -> ..2026_11_25_17_00_00.1</c>. Each publish writes a new timestamped directory, points a new
/// <c>..data_tmp</c> link at it, renames that over <c>..data</c> (atomic) and deletes the old directory.
/// </summary>
internal sealed partial class ConfigMapDirectory
{
    public const string FileName = "rotator.json";

    private int version;
    private string? current;

    public ConfigMapDirectory(string folder)
    {
        Folder = Directory.CreateDirectory(folder).FullName;
        File.CreateSymbolicLink(FilePath, Path.Combine("..data", FileName));
    }

    public string Folder { get; }

    /// <summary>The path the worker is given: the file symlink.</summary>
    public string FilePath => Path.Combine(Folder, FileName);

    public void Publish(string json)
    {
        var stamp = string.Create(CultureInfo.InvariantCulture, $"..2026_11_25_17_00_00.{++version}");
        var dir = Directory.CreateDirectory(Path.Combine(Folder, stamp));
        File.WriteAllText(Path.Combine(dir.FullName, FileName), json);
        var temporary = Path.Combine(Folder, "..data_tmp");
        File.CreateSymbolicLink(temporary, stamp);
        // rename(2), as the kubelet does: File.Move refuses a link to a directory.
        if (Rename(temporary, Path.Combine(Folder, "..data")) != 0)
        {
            throw new IOException($"rename failed with errno {Marshal.GetLastPInvokeError()}");
        }
        if (current is not null)
        {
            Directory.Delete(Path.Combine(Folder, current), recursive: true);
        }

        current = stamp;
    }

    /// <summary>Flat configuration keys (<c>Rotator:Keys:0:Name</c>) as nested JSON; the binder reads numbered objects as lists.</summary>
    public static string Json(IReadOnlyDictionary<string, string?> flat)
    {
        var root = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (path, value) in flat)
        {
            var node = root;
            var parts = path.Split(':');
            foreach (var part in parts[..^1])
            {
                if (!node.TryGetValue(part, out var child) || child is not Dictionary<string, object?> next)
                {
                    next = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                    node[part] = next;
                }

                node = next;
            }

            node[parts[^1]] = value;
        }

        return JsonSerializer.Serialize(root);
    }

    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int Rename([MarshalAs(UnmanagedType.LPUTF8Str)] string from, [MarshalAs(UnmanagedType.LPUTF8Str)] string to);
}
