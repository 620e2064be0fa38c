# Readiness silo (cluster mode: grains on PostgreSQL). Build from the repository root:
#   docker build -f deploy/docker/silo.Dockerfile -t readiness/silo:latest .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY silo/ silo/
COPY deploy/sql/ deploy/sql/
RUN dotnet publish silo/Readiness.Silo/Readiness.Silo.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://+:8080 \
    Readiness__Mode=Cluster
USER $APP_UID
# 8080 health and metrics, 11111 silo-to-silo, 30000 gateway for web nodes.
EXPOSE 8080 11111 30000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["dotnet", "/app/Readiness.Silo.dll", "probe", "http://127.0.0.1:8080/health/ready"]
ENTRYPOINT ["dotnet", "/app/Readiness.Silo.dll"]
