// Composes Pépite with a small "members" subgraph through @apollo/gateway, runs one query that
// starts in members and reaches into Pépite's companies and their technologies, and prints the
// answer with the number of `_entities` calls the gateway made to Pépite.
//
// Usage: node compose.mjs <pepite /graphql URL> '<members as JSON: [{"name", "companyId"}]>'
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from "@apollo/gateway";
import { buildSubgraphSchema } from "@apollo/subgraph";
import gql from "graphql-tag";

const [pepiteUrl, membersJson] = process.argv.slice(2);
const members = JSON.parse(membersJson);

const typeDefs = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  type Query {
    members: [Member!]!
  }

  "A member of the chamber of commerce, working for a company that Pépite knows."
  type Member {
    name: String!
    company: Company!
  }

  type Company @key(fields: "id", resolvable: false) {
    id: ID!
  }
`;
const resolvers = {
  Query: { members: () => members },
  Member: { company: (member) => ({ __typename: "Company", id: member.companyId }) },
};
const membersServer = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs, resolvers }) });
const { url: membersUrl } = await startStandaloneServer(membersServer, { listen: { port: 0, host: "127.0.0.1" } });

let entitiesCalls = 0;
class Counting extends RemoteGraphQLDataSource {
  willSendRequest({ request }) {
    if (this.url === pepiteUrl && request.query.includes("_entities")) entitiesCalls += 1;
  }
}
const gateway = new ApolloGateway({
  supergraphSdl: new IntrospectAndCompose({
    subgraphs: [
      { name: "members", url: membersUrl },
      { name: "pepite", url: pepiteUrl },
    ],
  }),
  buildService: ({ url }) => new Counting({ url }),
});
const gatewayServer = new ApolloServer({ gateway });
const { url: gatewayUrl } = await startStandaloneServer(gatewayServer, { listen: { port: 0, host: "127.0.0.1" } });

const response = await fetch(gatewayUrl, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ query: "{ members { name company { name slug technologies { name } } } }" }),
});
const answer = await response.json();
console.log(JSON.stringify({ answer, entitiesCalls }));
await gatewayServer.stop();
await membersServer.stop();
