using System.Text;

namespace Readiness.Catalog;

/// <summary>Reads the small, well-formed CSV files embedded with the catalog (RFC 4180 quoting).</summary>
internal static class Csv
{
    /// <summary>The text of an embedded data file.</summary>
    public static string ReadEmbedded(string resourceName)
    {
        using var stream = typeof(Csv).Assembly.GetManifestResourceStream("Readiness.Data." + resourceName)
            ?? throw new CatalogException($"Embedded data file '{resourceName}' is missing from the build.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public static List<Dictionary<string, string>> Read(string resourceName, string text)
    {
        var rows = Parse(text);
        if (rows.Count == 0)
        {
            throw new CatalogException($"Data file '{resourceName}' is empty.");
        }

        var header = rows[0];
        var result = new List<Dictionary<string, string>>(rows.Count - 1);
        for (var i = 1; i < rows.Count; i++)
        {
            var row = rows[i];
            if (row.Count == 1 && row[0].Length == 0)
            {
                continue;
            }

            if (row.Count != header.Count)
            {
                throw new CatalogException($"Data file '{resourceName}' line {i + 1}: expected {header.Count} fields, found {row.Count}.");
            }

            var record = new Dictionary<string, string>(header.Count, StringComparer.Ordinal);
            for (var c = 0; c < header.Count; c++)
            {
                record[header[c]] = row[c];
            }

            result.Add(record);
        }

        return result;
    }

    private static List<List<string>> Parse(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quoted)
            {
                if (ch == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    field.Append(ch);
                }

                continue;
            }

            switch (ch)
            {
                case '"':
                    quoted = true;
                    break;
                case ',':
                    row.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    row.Add(field.ToString());
                    field.Clear();
                    rows.Add(row);
                    row = [];
                    break;
                case '\uFEFF' when i == 0:
                    break;
                default:
                    field.Append(ch);
                    break;
            }
        }

        if (field.Length > 0 || row.Count > 0)
        {
            row.Add(field.ToString());
            rows.Add(row);
        }

        return rows;
    }
}

public sealed class CatalogException(string message) : Exception(message);
