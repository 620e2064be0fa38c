using System.Collections.Immutable;
using System.Diagnostics;
using System.Security.Cryptography;
using Readiness.Grains;
using Readiness.Imports;
using Readiness.Rules;
using Readiness.Web.Api;

namespace Readiness.Web.Imports;

/// <summary>
/// Upload → dry-run preview → apply for MIC's per-municipality progress workbook (architecture.md, flow 3). The upload
/// is stored as an immutable dataset version keyed by the file's SHA-256 (the same file twice is the same dataset);
/// apply sends each matched municipality's figures through its grain (<see cref="IMunicipalityGrain.ApplyOfficialAsync"/>),
/// which audits them as the import and never overwrites a newer self-report.
/// </summary>
public sealed class OfficialImportService(IGrainFactory grains, TimeProvider time, ILogger<OfficialImportService> logger)
{
    public const string MicSource = "総務省 PMOツール集計（市区町村別進捗）";

    /// <summary>How many municipalities are written at once while applying.</summary>
    private const int Parallelism = 64;

    public async Task<(OfficialImportRecord? Record, ProblemError? Error, ImportTimings Timings, bool Created)> UploadAsync(string fileName, byte[] bytes, Actor actor)
    {
        var clock = Stopwatch.StartNew();
        if (OfficialWorkbook.Check(fileName, bytes) is { } refused)
        {
            return (null, refused, default, false);
        }

        var (sheet, error) = OfficialWorkbook.Read(bytes, MicProgressParser.FindSheet);
        if (sheet is null)
        {
            return (null, error, default, false);
        }

        MicProgressImport parsed;
        try
        {
            parsed = MicProgressParser.Parse(sheet);
        }
        catch (ImportFormatException ex)
        {
            return (null, new ProblemError(ex.Field, ex.Code, ex.MessageJa, ex.Message), default, false);
        }

        var parseMs = clock.ElapsedMilliseconds;
        var id = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
        var grain = grains.GetGrain<IOfficialImportGrain>(id);
        if (await grain.GetAsync() is { } known)
        {
            return (known, null, new ImportTimings(parseMs, 0, 0), false);
        }

        var asOf = parsed.AsOf;
        var rows = parsed.Rows.Select(r => new OfficialImportRow(r.RowNumber, r.MunicipalityCode, r.StepCompletion)).ToImmutableArray();
        var dataset = new OfficialDatasetRef(id, $"{MicSource} {parsed.AsOfMonth}", asOf, actor.Subject, time.GetUtcNow());
        var preview = await PreviewAsync(rows, dataset, actor);
        var record = new OfficialImportRecord
        {
            Id = id,
            Kind = OfficialImportRecord.MicProgressKind,
            Source = dataset.Source,
            AsOf = asOf,
            FileName = Path.GetFileName(fileName),
            FileSize = bytes.LongLength,
            SheetName = parsed.SheetName,
            UploadedBy = actor.Subject,
            UploadedAt = dataset.ImportedAt,
            Rows = rows,
            Issues = [.. parsed.Issues.Select(i => new OfficialImportIssue(i.RowNumber, i.Prefecture, i.Municipality, i.Code, i.MessageJa, i.MessageEn))],
            HiddenRows = parsed.HiddenRows,
            Preview = preview,
        };
        var stored = await grain.StoreAsync(record);
        logger.LogInformation("Official import {Id} ({File}, as of {AsOf}) uploaded by {Subject}: {Rows} rows, {Issues} not matched",
            id, record.FileName, asOf, actor.Subject, rows.Length, record.Issues.Length);
        return (stored, null, new ImportTimings(parseMs, clock.ElapsedMilliseconds - parseMs, 0), ReferenceEquals(stored, record) || stored.UploadedAt == record.UploadedAt);
    }

    public async Task<OfficialImportRecord?> GetAsync(string id) =>
        IsId(id) ? await grains.GetGrain<IOfficialImportGrain>(id).GetAsync() : null;

    public static bool IsId(string id) => id.Length == 64 && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    /// <summary>Applies a stored dataset once; a second apply answers the first result and changes nothing.</summary>
    public async Task<OfficialImportRecord?> ApplyAsync(string id, Actor actor)
    {
        var grain = grains.GetGrain<IOfficialImportGrain>(id);
        if (!IsId(id) || await grain.GetAsync() is not { } record)
        {
            return null;
        }

        if (record.Applied is not null)
        {
            return record;
        }

        var dataset = new OfficialDatasetRef(record.Id, record.Source, record.AsOf, actor.Subject, time.GetUtcNow());
        int changedMunicipalities = 0, older = 0;
        using var gate = new SemaphoreSlim(Parallelism);
        var outcomes = await Task.WhenAll(record.Rows.Select(async row =>
        {
            await gate.WaitAsync();
            try
            {
                return await grains.GetGrain<IMunicipalityGrain>(row.MunicipalityCode)
                    .ApplyOfficialAsync(new OfficialUpdate(dataset, [.. row.StepCompletion.Select(s => (decimal?)s)], actor));
            }
            finally
            {
                gate.Release();
            }
        }));
        foreach (var o in outcomes)
        {
            changedMunicipalities += o == OfficialOutcome.Applied ? 1 : 0;
            older += o == OfficialOutcome.Older ? 1 : 0;
        }

        var counts = record.Preview with { MunicipalitiesChanged = changedMunicipalities, MunicipalitiesOlder = older };
        var applied = await grain.MarkAppliedAsync(new OfficialImportResult(counts, actor.Subject, time.GetUtcNow()));
        logger.LogInformation("Official import {Id} applied by {Subject}: {Changed} municipalities changed, {Older} held newer official data",
            id, actor.Subject, changedMunicipalities, older);
        return applied;
    }

    /// <summary>The dry run: what applying would change, from the same pure rule the grains apply.</summary>
    private async Task<OfficialImportCounts> PreviewAsync(ImmutableArray<OfficialImportRow> rows, OfficialDatasetRef dataset, Actor actor)
    {
        var now = time.GetUtcNow();
        var records = await Task.WhenAll(rows.Select(r => grains.GetGrain<IMunicipalityGrain>(r.MunicipalityCode).GetAsync()));
        int changed = 0, systems = 0, kept = 0, older = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            var update = new OfficialUpdate(dataset, [.. rows[i].StepCompletion.Select(s => (decimal?)s)], actor);
            var (outcome, _, entries) = OfficialRules.Apply(records[i], update, now);
            changed += outcome == OfficialOutcome.Applied ? 1 : 0;
            older += outcome == OfficialOutcome.Older ? 1 : 0;
            systems += entries.Length;
            if (outcome == OfficialOutcome.Applied)
            {
                var catalog = Catalog.ReadinessCatalog.Instance;
                kept += records[i].Systems.Count(s => s.ReportedAt is { } r && ReadinessRules.TodayInJapan(r) > dataset.AsOf
                    && s.BaselineStepCompletion != rows[i].StepCompletion[catalog.BusinessIndex[s.BusinessId]]);
            }
        }

        return new OfficialImportCounts(rows.Length, changed, systems, kept, older);
    }
}

/// <summary>Milliseconds spent reading and parsing, previewing, applying.</summary>
public readonly record struct ImportTimings(long ParseMs, long PreviewMs, long ApplyMs);
