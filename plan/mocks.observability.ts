/** Computed outputs of the observability resource types (AMP workspace and scraper). */
import { Computed, digest } from "./mocks";

export const observabilityMocks: Record<string, Computed> = {
    "aws:amp/workspace:Workspace": (name, _i, ctx) => {
        const id = `ws-${digest("amp", name).slice(0, 8)}-${digest("amp", name).slice(8, 12)}-${digest("amp", name).slice(12, 16)}-${digest("amp", name).slice(16, 20)}-${digest("amp", name).slice(20, 32)}`;
        return { arn: `arn:aws:aps:${ctx.region}:${ctx.accountId}:workspace/${id}`, prometheusEndpoint: `https://aps-workspaces.${ctx.region}.amazonaws.com/workspaces/${id}/` };
    },
    "aws:amp/scraper:Scraper": (name, _i, ctx) => ({
        arn: `arn:aws:aps:${ctx.region}:${ctx.accountId}:scraper/s-${digest("scraper", name).slice(0, 32)}`,
        roleArn: `arn:aws:iam::${ctx.accountId}:role/aws-service-role/scraper.aps.amazonaws.com/AWSServiceRoleForAmazonPrometheusScraper_${digest("scraper-role", name).slice(0, 15)}`,
    }),
};
