"""Network interface settings beyond subnets, pools and security groups: DNS, public IP options,
application security groups, accelerated connections, delete options, interconnect groups.

All optional and left out of dumps while unset (see ``api/base.optional``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scaleset_operator.api.base import ApiModel, optional, optional_list
from scaleset_operator.api.common import SubResource


class NetworkConfigurationDnsSettings(ApiModel):
    dnsServers: list[str] = optional_list(max_length=25)


class PublicIPAddressDnsSettings(ApiModel):
    domainNameLabel: str = Field(
        min_length=1, description="Instances get LABEL.<instance>.<region>.cloudapp.azure.com."
    )
    domainNameLabelScope: Literal["TenantReuse", "SubscriptionReuse", "ResourceGroupReuse", "NoReuse"] | None = (
        optional()
    )


class IpTag(ApiModel):
    ipTagType: str | None = optional(description="e.g. FirstPartyUsage.")
    tag: str | None = optional()
    firstPartyServiceTagId: str | None = optional()


class PublicIPAddressSku(ApiModel):
    name: Literal["Basic", "Standard"] | None = optional()
    tier: Literal["Regional", "Global"] | None = optional()


class InterconnectGroupProfile(ApiModel):
    interconnectGroup: SubResource | None = optional()
    subgroups: list[SubResource] = optional_list()
