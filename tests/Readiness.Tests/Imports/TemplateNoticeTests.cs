using System.Collections.Immutable;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Web.Imports;

namespace Readiness.Tests.Imports;

/// <summary>
/// Every outcome of a template's preview says what applying does, in Japanese and English, counting the file's own rows
/// (breakers' findings: a partly changed file had no message; an older unchanged file said 「このファイルの65行」 for a
/// 67-row file, leaving out the 2 rows someone else had changed since, without a word about them).
/// </summary>
public sealed class TemplateNoticeTests
{
    private static readonly int TemplateRows = ReadinessCatalog.Instance.BusinessSystems.Count + ReadinessCatalog.Instance.SecurityItems.Count;

    private static TemplateChange Change(string businessId) =>
        new("E6", "system:" + businessId, "vendor", "ベンダ", "Vendor", null, "A社", null, "A社");

    private static TemplatePreview Preview(ImmutableArray<TemplateChange> changes, int rows, ImmutableArray<string> left = default, ImmutableArray<TemplateIssue> errors = default, bool applied = false,
        ImmutableArray<string> leftBy = default, string? caller = null) =>
        new("131016", "00", 12, 14, applied, changes, errors.IsDefault ? [] : errors, rows, left, rows + (left.IsDefault ? 0 : left.Length), leftBy, caller);

    [Fact]
    public void Nothing_changed_counts_every_row_of_the_file_as_confirmed()
    {
        var n = Preview([], TemplateRows).Notice;
        Assert.Equal("none", n.Outcome);
        Assert.Equal($"現在の内容からの変更はありません。反映すると、このファイルの{TemplateRows}行（業務・セキュリティ項目）を現状のまま確認済みとして記録します（報告日として数えられます）。", n.MessageJa);
        Assert.Equal($"Nothing changes against the current data. Applying it records the file's {TemplateRows} rows (businesses and checklist items) as confirmed as they stand (it counts as a report).", n.MessageEn);
    }

    [Fact]
    public void An_older_file_counts_its_own_rows_and_names_those_left_to_the_person_who_changed_them_since()
    {
        var b = ReadinessCatalog.Instance.BusinessSystems;
        var n = Preview([], TemplateRows - 2, [$"system:{b[0].Id}", $"system:{b[1].Id}"], leftBy: ["other@example.lg.jp"], caller: "me@example.lg.jp").Notice;
        Assert.Equal("none", n.Outcome);
        Assert.Contains($"このファイルの{TemplateRows}行（業務・セキュリティ項目）のうち{TemplateRows - 2}行を現状のまま確認済み", n.MessageJa, StringComparison.Ordinal);
        Assert.Contains($"残る2行（{b[0].NameJa}、{b[1].NameJa}）は、このファイルの版12の後に他の人（other@example.lg.jp）が更新したため", n.MessageJa, StringComparison.Ordinal);
        Assert.Contains($"records {TemplateRows - 2} of the file's {TemplateRows} rows", n.MessageEn, StringComparison.Ordinal);
        Assert.Contains($"The other 2 rows ({b[0].NameEn}, {b[1].NameEn}) were changed by someone else (other@example.lg.jp) after this file's version 12", n.MessageEn, StringComparison.Ordinal);
    }

    [Fact]
    public void One_row_left_or_one_error_is_said_in_the_singular()
    {
        var b = ReadinessCatalog.Instance.BusinessSystems;
        var n = Preview([], TemplateRows - 1, [$"system:{b[0].Id}"]).Notice;
        Assert.Contains($"The other 1 row ({b[0].NameEn}) was changed", n.MessageEn, StringComparison.Ordinal);
        Assert.DoesNotContain("were changed", n.MessageEn, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("me@example.lg.jp", "あなたが別の画面（タブやウィンドウ）やプログラムで更新したため", "was changed by you (in another tab, window or program) after")]
    [InlineData("me@example.lg.jp,other@example.lg.jp", "あなた（別の画面やプログラム）、other@example.lg.jp が更新したため", "was changed by you (in another tab, window or program), other@example.lg.jp after")]
    [InlineData("other@example.lg.jp", "他の人（other@example.lg.jp）が更新したため", "was changed by someone else (other@example.lg.jp) after")]
    [InlineData("", "の後に更新されたため", "was changed after")]
    public void Rows_left_say_you_when_every_change_since_was_the_callers_own_and_name_others_otherwise(string actors, string ja, string en)
    {
        var b = ReadinessCatalog.Instance.BusinessSystems;
        var leftBy = actors.Length == 0 ? [] : actors.Split(',').ToImmutableArray();
        var n = Preview([], TemplateRows - 1, [$"system:{b[0].Id}"], leftBy: leftBy, caller: "me@example.lg.jp").Notice;
        Assert.Contains(ja, n.MessageJa, StringComparison.Ordinal);
        Assert.Contains(en, n.MessageEn, StringComparison.Ordinal);
        if (actors == "me@example.lg.jp")
        {
            Assert.DoesNotContain("他の人", n.MessageJa, StringComparison.Ordinal);
            Assert.DoesNotContain("someone else", n.MessageEn, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_partly_changed_file_says_how_many_rows_change_and_how_many_it_reports_as_they_stand()
    {
        var n = Preview([Change("resident_registry")], TemplateRows).Notice;
        Assert.Equal("partly", n.Outcome);
        Assert.Contains($"このファイルの{TemplateRows}行（業務・セキュリティ項目）のうち1行を変更し、変更のない{TemplateRows - 1}行も現状のまま報告したもの", n.MessageJa, StringComparison.Ordinal);
        Assert.Contains($"changes 1 row of the file's {TemplateRows} rows", n.MessageEn, StringComparison.Ordinal);
        Assert.Contains($"the {TemplateRows - 1} rows without a change", n.MessageEn, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_whose_every_row_changes_says_so_and_names_the_template_rows_it_does_not_have()
    {
        var n = Preview([Change("resident_registry"), Change("child_allowance")], 2).Notice;
        Assert.Equal("all", n.Outcome);
        Assert.Contains("このファイルの2行（業務・セキュリティ項目）をすべて変更します。", n.MessageJa, StringComparison.Ordinal);
        Assert.Contains($"テンプレートの{TemplateRows}行のうち、このファイルにない{TemplateRows - 2}行は報告しません", n.MessageJa, StringComparison.Ordinal);
        Assert.Contains("changes all 2 rows of the file", n.MessageEn, StringComparison.Ordinal);
        Assert.Contains($"{TemplateRows - 2} of the template's {TemplateRows} rows are not in this file", n.MessageEn, StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_and_a_file_applied_already_have_their_messages_too()
    {
        var errors = Preview([], TemplateRows, errors: [new TemplateIssue("D7", "invalid_date", "D7: …", "D7: …")]).Notice;
        Assert.Equal(("errors", "誤りが 1 件あります。何も反映していません。ファイルを直してもう一度アップロードしてください。", "1 error: nothing was applied. Correct the file and upload it again."),
            (errors.Outcome, errors.MessageJa, errors.MessageEn));
        var applied = Preview([], 0, applied: true).Notice;
        Assert.Equal("applied", applied.Outcome);
        Assert.Contains("すでに反映済み", applied.MessageJa, StringComparison.Ordinal);
        Assert.Contains("already applied", applied.MessageEn, StringComparison.Ordinal);
    }
}
