# Readiness web node (REST API, dashboard). Build from the repository root:
#   docker build -f deploy/docker/web.Dockerfile -t readiness/web:latest .
# Cluster mode needs Readiness__Mode=Cluster and Readiness__ConnectionString; without them it runs the embedded
# default (co-hosted silo, SQLite in /data).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY silo/ silo/
COPY deploy/sql/ deploy/sql/
COPY web/ web/
RUN dotnet publish web/Readiness.Web/Readiness.Web.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# Non-root (the image's app user, uid 1654); the root file system can be read-only: only /data and /tmp are written.
ENV ASPNETCORE_URLS=http://+:8080 \
    Readiness__DataPath=/data \
    DOTNET_gcServer=0
VOLUME ["/data"]
RUN mkdir -p /data && chown $APP_UID /data
USER $APP_UID
EXPOSE 8080 11111 30000
# The image has no curl: the product probes itself (exit 0 when the URL answers 200).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["dotnet", "/app/Readiness.Web.dll", "probe", "http://127.0.0.1:8080/health/ready"]
ENTRYPOINT ["dotnet", "/app/Readiness.Web.dll"]
