namespace Readiness.Testing;

/// <summary>The repository's root folder (the one holding Readiness.sln), found above the test's build output.</summary>
public static class RepositoryFolder
{
    /// <summary>The absolute path of the folder holding Readiness.sln.</summary>
    /// <exception cref="DirectoryNotFoundException">No folder above the test's build output holds Readiness.sln.</exception>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Readiness.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Readiness.sln not found above " + AppContext.BaseDirectory);
    }
}
