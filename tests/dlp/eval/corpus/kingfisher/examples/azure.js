const azureDevopsOrgName = 'https://dev.azure.com/micksmix515/_usersSettings/tokens';
