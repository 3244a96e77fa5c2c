using System.Globalization;
using System.Text;

namespace Rotator.Cli;

/// <summary>A plain aligned table for people: a header row, columns padded to their widest cell, no borders.</summary>
internal static class TextTable
{
    private const string Gap = "  ";

    /// <summary>Renders the rows under the headers; the last column is not padded, so long errors do not widen the table.</summary>
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var all = new List<IReadOnlyList<string>> { headers };
        all.AddRange(rows.Select(row => (IReadOnlyList<string>)[.. headers.Select((_, i) => Clean(i < row.Count ? row[i] : null))]));
        var widths = headers.Select((_, i) => all.Max(row => row[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in all)
        {
            var line = new StringBuilder();
            for (var i = 0; i < headers.Count; i++)
            {
                line.Append(i == headers.Count - 1 ? row[i] : row[i].PadRight(widths[i]) + Gap);
            }

            text.Append(line.ToString().TrimEnd()).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Empty or missing cells show as "-"; line breaks would break the alignment, so they become spaces.</summary>
    private static string Clean(string? cell) =>
        string.IsNullOrWhiteSpace(cell) ? "-" : cell.ReplaceLineEndings(" ").Replace('\t', ' ');

    /// <summary>A duration in its two largest units: <c>30d</c>, <c>2d 4h</c>, <c>5h 12m</c>, <c>3m 10s</c>, <c>42s</c>.</summary>
    public static string Duration(TimeSpan? value)
    {
        if (value is not { } span)
        {
            return "-";
        }

        var sign = span < TimeSpan.Zero ? "-" : "";
        span = span.Duration();
        static string Two(int big, string bigUnit, int small, string smallUnit) =>
            small == 0 ? $"{big}{bigUnit}" : $"{big}{bigUnit} {small}{smallUnit}";

        var text = span switch
        {
            { TotalDays: >= 1 } => Two((int)span.TotalDays, "d", span.Hours, "h"),
            { TotalHours: >= 1 } => Two(span.Hours, "h", span.Minutes, "m"),
            { TotalMinutes: >= 1 } => Two(span.Minutes, "m", span.Seconds, "s"),
            _ => $"{span.Seconds}s",
        };
        return sign + text;
    }

    /// <summary>A point in time in UTC, to the second.</summary>
    public static string Time(DateTimeOffset? value) =>
        value is { } at ? at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";
}
