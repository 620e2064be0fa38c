using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Readiness.Hosting;

/// <summary>
/// A process that cannot start (a setting that does not parse or is refused, a port in use, a data folder that cannot
/// be made) says so in one line and exits <see cref="ExitCode"/>. Unhandled, the exception aborts the runtime (SIGABRT,
/// exit 134): a hundred lines of stack, a core dump, and to systemd or Kubernetes a crash rather than a refusal.
/// READINESS_START_TRACE=1 prints the whole exception as well, for a refusal whose message is not enough.
/// </summary>
public static class StartRefusal
{
    /// <summary>The exit code of a refused start (1 stays a database of a newer version, <see cref="NewerSchemaException"/>).</summary>
    public const int ExitCode = 2;

    /// <summary>The exit code of a server that stopped on a fatal error after it had started (not a refusal: the settings were taken); 3, since 1 is a database of a newer version and 2 a refused start.</summary>
    public const int StoppedExitCode = 3;

    /// <summary>The environment variable that adds the full exception to the message.</summary>
    public const string TraceVariable = "READINESS_START_TRACE";

    /// <summary>The category of the generic host's own log, whose error "Hosting failed to start" carries the exception's stack.</summary>
    public const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>
    /// Drops the host's error log while <paramref name="started"/> is false: its "Hosting failed to start" prints the
    /// stack of the very exception the program's catch turns into <see cref="Report"/>'s one line (with the stack for an
    /// unexpected one, <see cref="IsUnexpected"/>), so the operator saw a stack above the line. Only that category and
    /// only before the host has started: its later errors (a background service that failed) are kept.
    /// </summary>
    /// <remarks>
    /// A category filter replaces the configured level for that category, so the configured minimum
    /// (Logging:LogLevel:{category or a prefix of it}, else Default, else Information) is applied here too: without it
    /// the host's debug lines ("Hosting starting") were printed on every start.
    /// </remarks>
    public static ILoggingBuilder QuietFailedStart(this ILoggingBuilder logging, IConfiguration configuration, Func<bool> started)
    {
        var minimum = ConfiguredLevel(configuration, HostCategory);
        return logging.AddFilter(HostCategory, level => level >= minimum && (level < LogLevel.Error || started()));
    }

    /// <summary>The level Logging:LogLevel gives <paramref name="category"/>: its longest configured prefix, else Default, else Information.</summary>
    public static LogLevel ConfiguredLevel(IConfiguration configuration, string category)
    {
        var levels = configuration.GetSection("Logging:LogLevel");
        for (var name = category; name.Length > 0; name = name.LastIndexOf('.') is var dot and > 0 ? name[..dot] : string.Empty)
        {
            if (Enum.TryParse<LogLevel>(levels[name], ignoreCase: true, out var level))
            {
                return level;
            }
        }

        return Enum.TryParse<LogLevel>(levels["Default"], ignoreCase: true, out var fallback) ? fallback : LogLevel.Information;
    }

    /// <summary>
    /// A fault of the program rather than of its settings or surroundings (a null dereference, a bad cast, an index
    /// out of range, a missing key, something not implemented) anywhere in the exception's chain: its stack is printed
    /// with the one line, for the one line alone would hide where it came from.
    /// </summary>
    public static bool IsUnexpected(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is NullReferenceException or InvalidCastException or IndexOutOfRangeException or KeyNotFoundException
                or NotImplementedException or DivideByZeroException or StackOverflowException or AccessViolationException)
            {
                return true;
            }

            if (x is AggregateException aggregate && aggregate.InnerExceptions.Any(IsUnexpected))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Writes the one line (and the trace when asked, or for an <see cref="IsUnexpected"/> exception) to
    /// <paramref name="error"/>; returns the exit code: <see cref="ExitCode"/> for a refused start,
    /// <see cref="StoppedExitCode"/> when <paramref name="started"/> (the host's ApplicationStarted had fired, so the
    /// failure came while serving).
    /// </summary>
    public static int Report(Exception refused, TextWriter error, bool started = false)
    {
        error.WriteLine(Message(refused, started));
        if (Environment.GetEnvironmentVariable(TraceVariable) is "1" or "true" || IsUnexpected(refused))
        {
            error.WriteLine(refused.ToString());
        }

        error.Flush();
        return started ? StoppedExitCode : ExitCode;
    }

    /// <summary>
    /// The one form of every refusal a start or a command prints: "{subject}: {japanese} / {english}", Japanese first.
    /// <paramref name="subject"/> names what is refused (a setting with its value, a file, an option); the two texts say
    /// the same. Options checks (<see cref="OptionsProblems.Setting"/>) and <see cref="Refused"/> use it, so the
    /// order and the separator are the same everywhere.
    /// </summary>
    public static string Say(string subject, string japanese, string english) => $"{subject}: {japanese} / {english}";

    /// <summary>
    /// The message of <paramref name="failed"/> when it is said in Japanese and English already (<see cref="Say"/>);
    /// otherwise (a framework's or the operating system's own words, English only) the failure said in both, naming
    /// <paramref name="subject"/>, with those words as the detail: "{subject}: {japanese} / {english}: {detail}".
    /// </summary>
    public static string Explain(Exception failed, string subject, string japanese, string english)
    {
        var detail = OneLine(failed.Message);
        if (detail.Any(IsJapanese))
        {
            return detail;
        }

        // A failure of a known kind is said in both languages by its kind: .NET's words are English only (and, for a
        // path, said the path again); an unknown one keeps them as the detail, so nothing the operator needs is lost.
        return Kind(failed) is var (ja, en) ? Say(subject, $"{japanese}（{ja}）", $"{english}: {en}") : Say(subject, japanese, $"{english}: {detail}");
    }

    /// <summary>The kind of a file-system or SQLite failure, in Japanese and English; null for one of no known kind.</summary>
    public static (string Ja, string En)? Kind(Exception failed) => failed switch
    {
        NotAFolderException file => ($"{file.File} はファイルです。フォルダーのパスを指定してください", $"{file.File} is a file, not a folder; give a folder's path."),
        UnauthorizedAccessException => ("権限がありません。このユーザーで読み書きできるか確認してください", "permission denied; check that this user may read and write it."),
        PathTooLongException => ("パスが長すぎます", "the path is too long."),
        DirectoryNotFoundException => ("フォルダーがありません", "a folder on the path does not exist."),
        FileNotFoundException => ("ファイルがありません", "there is no such file."),
        ArgumentException => ("パスとして使えない文字を含んでいます", "the path has a character no path may have."),
        IOException io when (io.HResult & 0xFFFF) is 28 or 0x70 => ("ディスクの空きがありません", "the disk is full."),
        IOException io when (io.HResult & 0xFFFF) is 21 => ("フォルダーです。ファイル名を指定してください", "it is a folder; give a file name."),
        IOException io when (io.HResult & 0xFFFF) is 30 => ("読み取り専用のファイルシステムです", "the file system is read-only."),
        _ when failed.GetType().Name == "SqliteException" => ("SQLite で読み書きできません（データベースではないか、壊れています）", $"SQLite cannot read or write it (no database, or a damaged one): {OneLine(failed.Message)}"),
        _ => null,
    };

    /// <summary>Hiragana, katakana or a CJK ideograph: a message that has one is said in Japanese (every refusal says Japanese first).</summary>
    public static bool IsJapanese(char c) => c is >= '\u3040' and <= '\u30FF' or >= '\u4E00' and <= '\u9FFF';

    /// <summary>
    /// A refusal the operator can put right (a data folder in use, one that cannot be made, a database that cannot be
    /// opened), its message in the form of <see cref="Say"/>: an InvalidOperationException, as the English-only ones it
    /// replaces were, so that whoever caught those still does.
    /// </summary>
    public static InvalidOperationException Refused(string subject, string japanese, string english, Exception? inner = null) =>
        new(Say(subject, japanese, english), inner);

    /// <summary>
    /// 「起動できません / Cannot start: …」 (or, once <paramref name="started"/>, 「停止しました / Stopped: …」) with the exception's own message (a configuration error names the key and
    /// the value) and each inner message it does not already contain (a bind failure's reason, a converter's complaint).
    /// </summary>
    public static string Message(Exception refused, bool started = false)
    {
        var parts = new List<string>();
        Collect(refused, parts);
        return (started ? "停止しました / Stopped: " : "起動できません / Cannot start: ") + string.Join(" — ", parts);
    }

    /// <summary>
    /// The messages of <paramref name="refused"/> and its inner exceptions, each once. Several failures at once (two
    /// options types refused) are each one's own message: the aggregate's "One or more errors occurred." says nothing and
    /// was English only.
    /// </summary>
    private static void Collect(Exception refused, List<string> parts)
    {
        for (Exception? e = Unwrap(refused); e is not null; e = e.InnerException is null ? null : Unwrap(e.InnerException))
        {
            if (e is AggregateException { InnerExceptions.Count: > 1 } several)
            {
                foreach (var inner in several.InnerExceptions)
                {
                    Collect(inner, parts);
                }

                return;
            }

            var text = OneLine(e.Message);
            if (text.Length > 0 && !parts.Any(p => p.Contains(text, StringComparison.Ordinal)))
            {
                parts.Add(text);
            }
        }
    }

    /// <summary>The wrappers that say nothing of their own: reflection, a static constructor, a task's single fault.</summary>
    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case TargetInvocationException { InnerException: { } inner }:
                    e = inner;
                    break;
                case TypeInitializationException { InnerException: { } inner }:
                    e = inner;
                    break;
                case AggregateException aggregate when aggregate.InnerExceptions.Count == 1:
                    e = aggregate.InnerExceptions[0];
                    break;
                default:
                    return e;
            }
        }
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

