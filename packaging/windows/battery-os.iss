; Inno Setup script for Battery OS on Windows.
; 1. On Windows, with Python 3.11+ and the project installed (pip install -e ".[dev]"):
;      bash packaging/build.sh          (Git Bash)  - or -
;      python -m PyInstaller --noconfirm packaging\batteryos.spec
;    which makes dist\batteryos\batteryos.exe
; 2. Compile this script with Inno Setup 6:  iscc packaging\windows\battery-os.iss
;    (pass /DAppVersion=x.y.z to stamp the version; default below)
; The installer goes to dist\installer\battery-os-<version>-setup.exe.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6E0B3C55-7F5A-4C1E-9D0B-5A7A0B7C2E11}
AppName=Battery OS
AppVersion={#AppVersion}
AppPublisher=Battery OS
DefaultDirName={autopf}\Battery OS
DefaultGroupName=Battery OS
OutputDir=..\..\dist\installer
OutputBaseFilename=battery-os-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\battery-os.ico
UninstallDisplayIcon={app}\batteryos.exe
Compression=lzma2
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequiredOverridesAllowed=dialog
ChangesEnvironment=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"
Name: "addtopath"; Description: "Add the batteryos command to PATH"; Flags: unchecked

[Files]
Source: "..\..\dist\batteryos\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Battery OS"; Filename: "{app}\batteryos.exe"; Parameters: "gui"; IconFilename: "{app}\batteryos.exe"
Name: "{group}\Battery OS (demo battery)"; Filename: "{app}\batteryos.exe"; Parameters: "gui --demo"; IconFilename: "{app}\batteryos.exe"
Name: "{autodesktop}\Battery OS"; Filename: "{app}\batteryos.exe"; Parameters: "gui"; Tasks: desktopicon

[Registry]
Root: HKA; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\batteryos.exe"; Parameters: "gui --demo"; Description: "Start Battery OS with the simulated battery"; Flags: nowait postinstall skipifsilent

[Code]
function NeedsAddPath(Param: string): boolean;
var
  OrigPath: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', OrigPath) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Param) + ';', ';' + Uppercase(OrigPath) + ';') = 0;
end;
