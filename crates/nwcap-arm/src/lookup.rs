//! The look-ups the commands rely on: a VM or scale set by name (for its
//! resource id and region), a storage account by name (as `az` resolves
//! `--storage-account NAME`), and network watchers by region or name.
//!
//! The watcher is found as `az network watcher` finds it: list the
//! subscription's watchers and take the one in the target's region. Azure
//! creates it as `NetworkWatcher_<region>` in `NetworkWatcherRG`, but people
//! move and rename them, so the list is the truth.

use crate::captures::WatcherRef;
use crate::client::{ArmClient, COMPUTE_API_VERSION, Raw};

/// api-version of the Microsoft.Storage look-ups.
pub const STORAGE_API_VERSION: &str = "2023-05-01";
use crate::error::ArmError;
use crate::types::{TrackedResource, id_segment, normalize_location};

impl ArmClient {
    /// Virtual machines of a resource group.
    pub async fn list_virtual_machines(
        &self,
        subscription: &str,
        resource_group: &str,
    ) -> Result<Vec<TrackedResource>, ArmError> {
        self.list_compute(subscription, resource_group, "virtualMachines")
            .await
    }

    /// Virtual machine scale sets of a resource group.
    pub async fn list_scale_sets(
        &self,
        subscription: &str,
        resource_group: &str,
    ) -> Result<Vec<TrackedResource>, ArmError> {
        self.list_compute(subscription, resource_group, "virtualMachineScaleSets")
            .await
    }

    async fn list_compute(
        &self,
        subscription: &str,
        resource_group: &str,
        kind: &str,
    ) -> Result<Vec<TrackedResource>, ArmError> {
        let path = format!(
            "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.Compute/{kind}"
        );
        let url = self.url(&path, COMPUTE_API_VERSION);
        Ok(self
            .list_json::<TrackedResource>(&url)
            .await?
            .into_iter()
            .map(|r| r.value)
            .collect())
    }

    /// A VM by name (case-insensitive), with its id and region.
    pub async fn find_virtual_machine(
        &self,
        subscription: &str,
        resource_group: &str,
        name: &str,
    ) -> Result<TrackedResource, ArmError> {
        let all = self
            .list_virtual_machines(subscription, resource_group)
            .await?;
        pick(all, name).ok_or_else(|| {
            ArmError::NotFound(format!(
                "no virtual machine named {name} in resource group {resource_group}"
            ))
        })
    }

    /// A scale set by name (case-insensitive), with its id and region.
    pub async fn find_scale_set(
        &self,
        subscription: &str,
        resource_group: &str,
        name: &str,
    ) -> Result<TrackedResource, ArmError> {
        let all = self.list_scale_sets(subscription, resource_group).await?;
        pick(all, name).ok_or_else(|| {
            ArmError::NotFound(format!(
                "no virtual machine scale set named {name} in resource group {resource_group}"
            ))
        })
    }

    /// Any resource by id (for `--target ID`: its region). Uses the
    /// Microsoft.Compute api-version.
    pub async fn get_resource(&self, id: &str) -> Result<Raw<TrackedResource>, ArmError> {
        let url = self.url(id, COMPUTE_API_VERSION);
        self.get_json(&url).await
    }

    /// Network watchers of a subscription.
    pub async fn list_network_watchers(
        &self,
        subscription: &str,
    ) -> Result<Vec<TrackedResource>, ArmError> {
        let path =
            format!("/subscriptions/{subscription}/providers/Microsoft.Network/networkWatchers");
        let url = self.url(&path, self.api_version());
        Ok(self
            .list_json::<TrackedResource>(&url)
            .await?
            .into_iter()
            .map(|r| r.value)
            .collect())
    }

    /// A storage account of the subscription by name (names are unique
    /// across Azure), with its id.
    pub async fn find_storage_account(
        &self,
        subscription: &str,
        name: &str,
    ) -> Result<TrackedResource, ArmError> {
        let path =
            format!("/subscriptions/{subscription}/providers/Microsoft.Storage/storageAccounts");
        let url = self.url(&path, STORAGE_API_VERSION);
        let all: Vec<TrackedResource> = self
            .list_json::<TrackedResource>(&url)
            .await?
            .into_iter()
            .map(|r| r.value)
            .collect();
        pick(all, name).ok_or_else(|| {
            ArmError::NotFound(format!(
                "no storage account named {name} in subscription {subscription}"
            ))
        })
    }

    /// Every network watcher of a subscription with its region.
    pub async fn watchers(
        &self,
        subscription: &str,
    ) -> Result<Vec<(WatcherRef, String)>, ArmError> {
        Ok(self
            .list_network_watchers(subscription)
            .await?
            .into_iter()
            .map(|w| {
                let resource_group = id_segment(&w.id, "resourceGroups")
                    .unwrap_or(crate::captures::DEFAULT_WATCHER_RESOURCE_GROUP)
                    .to_owned();
                (
                    WatcherRef {
                        subscription: subscription.to_owned(),
                        resource_group,
                        name: w.name,
                    },
                    normalize_location(&w.location),
                )
            })
            .collect())
    }

    /// The network watcher of a region.
    pub async fn find_network_watcher(
        &self,
        subscription: &str,
        location: &str,
    ) -> Result<WatcherRef, ArmError> {
        let want = normalize_location(location);
        let watchers = self.list_network_watchers(subscription).await?;
        let found = watchers
            .iter()
            .find(|w| normalize_location(&w.location) == want)
            .ok_or_else(|| {
                ArmError::NotFound(format!(
                    "no network watcher in region {want} of subscription {subscription} \
                     (Azure creates NetworkWatcher_{want} in NetworkWatcherRG when it is enabled)"
                ))
            })?;
        let resource_group = id_segment(&found.id, "resourceGroups")
            .unwrap_or(crate::captures::DEFAULT_WATCHER_RESOURCE_GROUP)
            .to_owned();
        Ok(WatcherRef {
            subscription: subscription.to_owned(),
            resource_group,
            name: found.name.clone(),
        })
    }
}

fn pick(all: Vec<TrackedResource>, name: &str) -> Option<TrackedResource> {
    all.into_iter().find(|r| r.name.eq_ignore_ascii_case(name))
}
