# Build: docker build -t rotator .
# Restore runs in its own layer (props and project files first) so source edits do not invalidate it.
FROM mcr.microsoft.com/dotnet/sdk:10.0.401-noble AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props BannedSymbols.txt .editorconfig ./
COPY src/Rotator/Rotator.csproj src/Rotator/
COPY src/Rotator.LocalVault/Rotator.LocalVault.csproj src/Rotator.LocalVault/
COPY src/Rotator.Client/Rotator.Client.csproj src/Rotator.Client/
COPY src/Rotator.Demo/Rotator.Demo.csproj src/Rotator.Demo/
RUN dotnet restore src/Rotator/Rotator.csproj
COPY appsettings.json ./
COPY src/ src/
RUN dotnet publish src/Rotator/Rotator.csproj -c Release --no-restore -o /app

# Chiseled (no shell, no package manager), -extra for the time-zone data named cron time zones need.
FROM mcr.microsoft.com/dotnet/aspnet:10.0.12-noble-chiseled-extra AS runtime
WORKDIR /app
COPY --from=build /app ./
ENV DOTNET_ENVIRONMENT=Production
# Numeric, so that runAsNonRoot can be verified.
USER $APP_UID
ENTRYPOINT ["dotnet", "/app/Rotator.dll", "run"]
