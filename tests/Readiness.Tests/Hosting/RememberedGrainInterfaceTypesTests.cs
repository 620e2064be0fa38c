using Microsoft.Extensions.DependencyInjection;
using Orleans.Metadata;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Serialization.TypeSystem;
using Readiness.Grains;
using Readiness.Hosting;
using Xunit;

namespace Readiness.Tests.Hosting;

public sealed class RememberedGrainInterfaceTypesTests
{
    private static readonly IServiceProvider Services = new ServiceCollection().AddSerializer().BuildServiceProvider();
    private static readonly TypeConverter Types = Services.GetRequiredService<TypeConverter>();

    /// <summary>Every grain interface of the product, plus the attribute and generic cases Orleans' resolver handles.</summary>
    public static TheoryData<Type> Interfaces()
    {
        var data = new TheoryData<Type>();
        foreach (var type in typeof(IMunicipalityGrain).Assembly.GetTypes()
                     .Where(t => t.IsInterface && typeof(IGrain).IsAssignableFrom(t) && !t.ContainsGenericParameters)
                     .OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            data.Add(type);
        }

        data.Add(typeof(INamedTestGrain));
        data.Add(typeof(IGenericTestGrain<string>));
        data.Add(typeof(IGenericTestGrain<IMunicipalityGrain>));
        return data;
    }

    [Theory]
    [MemberData(nameof(Interfaces))]
    public void Answers_what_Orleans_answers_and_asks_Orleans_once(Type type)
    {
        var orleans = new GrainInterfaceTypeResolver([new AttributeGrainInterfaceTypeProvider(Services)], Types);
        var counting = new CountingProvider(new AttributeGrainInterfaceTypeProvider(Services));
        GrainInterfaceTypeResolver resolver = null!;
        var remembered = new RememberedGrainInterfaceTypes(() => resolver);
        resolver = new GrainInterfaceTypeResolver([remembered, counting], Types);

        var expected = orleans.GetGrainInterfaceType(type);
        Assert.False(remembered.Knows(type));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(expected, resolver.GetGrainInterfaceType(type));
        }

        Assert.True(remembered.Knows(type));
        Assert.Equal(1, counting.Asked);
    }

    [Fact]
    public void The_attribute_still_names_the_type()
    {
        var resolver = Resolver(out _);
        Assert.Equal("readiness.named-test", resolver.GetGrainInterfaceType(typeof(INamedTestGrain)).ToString());
    }

    [Fact]
    public void Each_type_keeps_its_own_answer()
    {
        var resolver = Resolver(out var remembered);
        var first = resolver.GetGrainInterfaceType(typeof(IGenericTestGrain<string>));
        var second = resolver.GetGrainInterfaceType(typeof(IGenericTestGrain<int>));
        Assert.NotEqual(first, second);
        Assert.Equal(first, resolver.GetGrainInterfaceType(typeof(IGenericTestGrain<string>)));
        Assert.True(remembered.Knows(typeof(IGenericTestGrain<int>)));
        Assert.False(remembered.Knows(typeof(IMunicipalityGrain)));
    }

    [Fact]
    public void A_class_is_refused_as_Orleans_refuses_it_and_not_kept()
    {
        var resolver = Resolver(out var remembered);
        Assert.Throws<ArgumentException>(() => resolver.GetGrainInterfaceType(typeof(string)));
        Assert.False(remembered.Knows(typeof(string)));

        // A refusal leaves the provider usable on the same thread.
        Assert.NotEqual(default, resolver.GetGrainInterfaceType(typeof(IMunicipalityGrain)));
        Assert.True(remembered.Knows(typeof(IMunicipalityGrain)));
    }

    [Fact]
    public async Task Many_threads_get_the_same_answer()
    {
        var resolver = Resolver(out _);
        var expected = new GrainInterfaceTypeResolver([new AttributeGrainInterfaceTypeProvider(Services)], Types).GetGrainInterfaceType(typeof(IPrefectureGrain));
        var answers = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => resolver.GetGrainInterfaceType(typeof(IPrefectureGrain)))));
        Assert.All(answers, a => Assert.Equal(expected, a));
    }

    [Fact]
    public void AddTo_puts_it_ahead_of_the_providers_already_registered()
    {
        var services = new ServiceCollection().AddSerializer();
        services.AddSingleton<IGrainInterfaceTypeProvider, AttributeGrainInterfaceTypeProvider>();
        services.AddSingleton<GrainInterfaceTypeResolver>();
        RememberedGrainInterfaceTypes.AddTo(services);
        using var provider = services.BuildServiceProvider();

        var providers = provider.GetServices<IGrainInterfaceTypeProvider>().ToList();
        Assert.Equal(2, providers.Count);
        var remembered = Assert.IsType<RememberedGrainInterfaceTypes>(providers[0]);
        Assert.IsType<AttributeGrainInterfaceTypeProvider>(providers[1]);

        var resolver = provider.GetRequiredService<GrainInterfaceTypeResolver>();
        Assert.Equal("readiness.named-test", resolver.GetGrainInterfaceType(typeof(INamedTestGrain)).ToString());
        Assert.True(remembered.Knows(typeof(INamedTestGrain)));
    }

    private static GrainInterfaceTypeResolver Resolver(out RememberedGrainInterfaceTypes remembered)
    {
        GrainInterfaceTypeResolver resolver = null!;
        remembered = new RememberedGrainInterfaceTypes(() => resolver);
        resolver = new GrainInterfaceTypeResolver([remembered, new AttributeGrainInterfaceTypeProvider(Services)], Types);
        return resolver;
    }

    private sealed class CountingProvider(IGrainInterfaceTypeProvider inner) : IGrainInterfaceTypeProvider
    {
        public int Asked { get; private set; }

        public bool TryGetGrainInterfaceType(Type type, out GrainInterfaceType grainInterfaceType)
        {
            Asked++;
            return inner.TryGetGrainInterfaceType(type, out grainInterfaceType);
        }
    }
}

[GrainInterfaceType("readiness.named-test")]
public interface INamedTestGrain : IGrainWithStringKey
{
    Task<int> GetAsync();
}

public interface IGenericTestGrain<T> : IGrainWithStringKey
{
    Task<T> GetAsync();
}
