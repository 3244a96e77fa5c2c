# Build: docker build -t rotator .
# Restore runs in its own layer (global.json, the props and the project files first) so source edits do not invalidate it.
# .ci/run runs this file's `RUN dotnet restore` and `RUN dotnet publish` lines as written (with -o /app pointed at a
# temporary folder) and checks the entry point's file, so keep each of them on one line.
FROM mcr.microsoft.com/dotnet/sdk:10.0.401-noble AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Rotator/Rotator.csproj src/Rotator/
COPY src/Rotator.LocalVault/Rotator.LocalVault.csproj src/Rotator.LocalVault/
COPY src/Rotator.Client/Rotator.Client.csproj src/Rotator.Client/
COPY src/Rotator.Demo/Rotator.Demo.csproj src/Rotator.Demo/
RUN dotnet restore src/Rotator/Rotator.csproj
COPY BannedSymbols.txt .editorconfig appsettings.json ./
COPY src/ src/
RUN dotnet publish src/Rotator/Rotator.csproj -c Release --no-restore -p:UseAppHost=false -o /app

# Chiseled (no shell, no package manager), -extra for the ICU and time-zone data that named cron time zones need.
FROM mcr.microsoft.com/dotnet/aspnet:10.0.12-noble-chiseled-extra AS runtime
WORKDIR /app
COPY --from=build /app ./
ENV DOTNET_ENVIRONMENT=Production
# Nothing is written outside /tmp, so the root file system can be read-only (give /tmp an emptyDir).
# Rotator:Admin:Urls: the admin API, health endpoints and metrics.
EXPOSE 8080
# Numeric (1654), so that runAsNonRoot can be verified.
USER $APP_UID
ENTRYPOINT ["dotnet", "/app/Rotator.dll", "run"]
