using Readiness.Testing;

namespace Readiness.ClusterTests;

/// <summary>Where the built silo and web node are: next to this test assembly's own build, same configuration.</summary>
public static class Binaries
{
    public static string RepositoryRoot => RepositoryFolder.Root;

    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    private static string TargetFramework => new DirectoryInfo(AppContext.BaseDirectory).Name;

    public static string Silo => Find("silo/Readiness.Silo", "Readiness.Silo.dll");

    public static string Web => Find("web/Readiness.Web", "Readiness.Web.dll");

    private static string Find(string project, string dll)
    {
        var path = Path.Combine(RepositoryRoot, project, "bin", Configuration, TargetFramework, dll);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{dll} is not built at {path}; build the test project (it references {project}).");
    }
}
