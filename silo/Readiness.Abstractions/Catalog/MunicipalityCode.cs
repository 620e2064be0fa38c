namespace Readiness.Catalog;

/// <summary>The 6-digit 全国地方公共団体コード: 5 digits plus a check digit.</summary>
public static class MunicipalityCode
{
    private static readonly int[] Weights = [6, 5, 4, 3, 2];

    /// <summary>(11 - Σ d_i·[6,5,4,3,2] mod 11) mod 10; a result of 10 becomes 0.</summary>
    public static int CheckDigit(ReadOnlySpan<char> fiveDigits)
    {
        if (fiveDigits.Length != 5)
        {
            throw new ArgumentException("A check digit is computed over exactly 5 digits.", nameof(fiveDigits));
        }

        var sum = 0;
        for (var i = 0; i < 5; i++)
        {
            var d = fiveDigits[i] - '0';
            if (d is < 0 or > 9)
            {
                throw new ArgumentException("Only digits are allowed.", nameof(fiveDigits));
            }

            sum += d * Weights[i];
        }

        return (11 - (sum % 11)) % 10;
    }

    /// <summary>True when the text is 6 ASCII digits whose last digit is the check digit of the first 5.</summary>
    public static bool IsValid(string? code)
    {
        if (code is null || code.Length != 6)
        {
            return false;
        }

        foreach (var ch in code)
        {
            if (ch is < '0' or > '9')
            {
                return false;
            }
        }

        return CheckDigit(code.AsSpan(0, 5)) == code[5] - '0';
    }

    /// <summary>The 5-digit form used by maps and many open-data files.</summary>
    public static string ToFiveDigit(string code) => code[..5];
}
