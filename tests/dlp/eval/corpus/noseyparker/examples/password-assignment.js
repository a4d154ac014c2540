password   =>   "super$ecret"
private const string DevFolkoosComPfxPassword = "thisismypassword";
:password       => '4ian1234',

beta => {
  host            => 'foo.example.com',
  user            => 'joe',
  password        => 'thisismypassword',
}
