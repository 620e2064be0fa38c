namespace Readiness.Web.Imports;

/// <summary>
/// A cell of an uploaded workbook whose value cannot be read (a shared string that does not exist, an error value, a
/// number that is not one): kept apart from a blank cell, which would clear what it stands for. The reason in both languages.
/// </summary>
public sealed record UnreadableCell(string ReasonJa, string ReasonEn);
